// The keys a membership event brings in (the founder's, a requester's, a rotation's new ones), checked where
// they enter: a join request file, and every event received or authored (docs/membership.md#event-kinds).

import { parseAgeRecipient } from '../crypto/age-recipient.ts';
import { type CurveCheck, parseEd25519PublicKey } from '../crypto/ed25519-public-key.ts';
import { peerIdFromPublicKey } from '../crypto/peer-id.ts';
import { isEnvSyncError } from '../errors.ts';
import type { EventObject } from '../store/objects.ts';
import type { EventBody } from './event-format.ts';

/**
 * What is wrong with a key `event` brings in, naming the peer; null when each is valid. Every such key comes
 * with its own signature, which the caller verifies too: `curve` says whether that verification is left to
 * refuse a key that is not a curve point (see CurveCheck).
 */
export function subjectKeyProblem(event: EventObject, body: EventBody, curve: CurveCheck): string | null {
  switch (body.kind) {
    case 'genesis':
      return cardProblem(`founder ${body.name}`, event.actor, event.actor, body.ageRecipient, curve);
    case 'request':
    case 'approve': {
      const r = body.request;
      return cardProblem(`peer ${r.name}`, r.key, r.key, r.ageRecipient, curve);
    }
    case 'rotate-key':
      return cardProblem(
        'the peer rotating its key',
        event.actor,
        body.next.key,
        body.next.ageRecipient,
        curve,
      );
    default:
      return null;
  }
}

/** `who` and the peer id of `idKey` name the peer; `key` and `recipient` are checked. */
function cardProblem(
  who: string,
  idKey: Uint8Array,
  key: Uint8Array,
  recipient: string,
  curve: CurveCheck,
): string | null {
  try {
    parseEd25519PublicKey(key, curve);
    parseAgeRecipient(recipient);
    return null;
  } catch (error) {
    if (!isEnvSyncError(error)) throw error;
    const peerId = idKey.length === 32 ? ` (${peerIdFromPublicKey(idKey)})` : '';
    return `${who}${peerId} is refused: ${error.message}`;
  }
}
