// The inviter's side of a join over the network (docs/protocol.md#joining-with-an-invitation): check the
// invitation and the signed join request against the certificate that sent them, then record the request as
// pending (or approve it, for a pre-approved invitation) and spend the invitation, all or nothing. The peer
// that spent an invitation may send its join again (its clone failed after the join); no one else may.

import { peerIdFromPublicKey } from '../crypto/peer-id.ts';
import { EnvSyncError } from '../errors.ts';
import type { Repository } from '../store/repository.ts';
import { authorEvent } from './author.ts';
import { loadRegistry } from './chain-store.ts';
import type { JoinRequest, Role } from './event-format.ts';
import { findUsableInvitation } from './invitation.ts';
import { updateInvitations } from './invitation-store.ts';
import { parseJoinRequest } from './join-request.ts';
import { displayState } from './registry.ts';
import type { EventSigner } from './signing.ts';

/** What the joiner is told. */
export interface JoinAnswer {
  readonly state: 'pending' | 'approved';
  readonly peerId: string;
  readonly name: string;
  readonly role: Role | null;
}

/** The body a joiner POSTs: its join request file's JSON and the invitation's secret. */
export function joinBody(request: Record<string, unknown>, secret: string): string {
  return JSON.stringify({ request, secret });
}

/**
 * Records (or approves) the join and spends the invitation. The peer that spent it may send it again until it
 * expires: it is told its state in the registry, and nothing is written (`repeated`).
 */
export async function acceptJoin(
  repo: Repository,
  signer: EventSigner,
  body: string,
  fingerprint: string,
  options: { readonly now: number; readonly peer: string; readonly restoredUnsynced: boolean },
): Promise<{ answer: JoinAnswer; repeated: boolean }> {
  const { request, secret } = parseJoinBody(body);
  if (request.group !== repo.group) {
    throw new EnvSyncError(
      'E_GROUP_MISMATCH',
      'this invitation is for another group than the one served here',
    );
  }
  if (request.certificateFingerprint !== fingerprint) {
    throw new EnvSyncError(
      'E_EVENT_INVALID',
      'the join request names another certificate than the one this connection presented',
    );
  }
  const peerId = peerIdFromPublicKey(request.key);
  return updateInvitations<{ answer: JoinAnswer; repeated: boolean }>(repo, async (records) => {
    const inviter = { group: repo.group, key: signer.publicKey };
    const invitation = findUsableInvitation(records, secret, options.now, inviter, peerId);
    if (invitation.state === 'spent') {
      const answer = await repeatedJoin(repo, request, fingerprint, options.now);
      return { records, result: { answer, repeated: true } };
    }
    await authorEvent(
      repo,
      signer,
      () =>
        invitation.approve
          ? { kind: 'approve', request, role: invitation.role }
          : { kind: 'request', request },
      { ...options, reason: `join with invitation ${invitation.id}` },
    );
    const spent = { ...invitation, state: 'spent' as const, peerId };
    const answer: JoinAnswer = {
      state: invitation.approve ? 'approved' : 'pending',
      peerId,
      name: request.name,
      role: invitation.approve ? invitation.role : null,
    };
    return {
      records: records.map((r) => (r.id === invitation.id ? spent : r)),
      result: { answer, repeated: false },
    };
  });
}

/** The joiner's state now, for a join sent again by the peer that spent the invitation with this certificate. */
async function repeatedJoin(
  repo: Repository,
  request: JoinRequest,
  fingerprint: string,
  now: number,
): Promise<JoinAnswer> {
  const record = (await loadRegistry(repo, now))?.registry.byKey(request.key);
  const state = record === undefined ? null : displayState(record, now);
  if (
    record === undefined ||
    record.certificateFingerprint !== fingerprint ||
    (state !== 'pending' && state !== 'approved')
  ) {
    throw new EnvSyncError('E_EVENT_REPLAY', 'this invitation was used already');
  }
  return { state, peerId: record.peerId, name: record.name, role: record.role };
}

function parseJoinBody(body: string): { request: JoinRequest; secret: string } {
  let json: { request?: unknown; secret?: unknown };
  try {
    json = JSON.parse(body) as typeof json;
  } catch {
    throw new EnvSyncError('E_PROTOCOL', 'the join body is not JSON');
  }
  if (typeof json?.secret !== 'string' || typeof json.request !== 'object' || json.request === null) {
    throw new EnvSyncError('E_PROTOCOL', 'the join body needs a request and a secret');
  }
  return { request: parseJoinRequest(JSON.stringify(json.request), 'the join request'), secret: json.secret };
}
