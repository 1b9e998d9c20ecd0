// Constructing and signing membership events and join requests. Pure apart from drawing random nonces;
// callers choose the parent (normally the canonical tip) and the time (their fixed "now").

import { randomBytes } from 'node:crypto';
import type { ObjectId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import {
  type EventBody,
  encodeEventBody,
  type HeldEvent,
  type JoinRequest,
  NONCE_BYTES,
  type PeerCard,
  REQUEST_TTL_SECONDS,
} from './event-format.ts';
import { type EventSigner, eventSigningBytes, joinRequestBytes } from './signing.ts';

const EMPTY = new Uint8Array(0);

function unsigned(
  signer: EventSigner,
  at: { group: ObjectId | null; seq: number; prev: ObjectId | null; time: number },
  body: EventBody,
): EventObject {
  const { kind, subject } = encodeEventBody(body);
  return { type: 'event', ...at, actor: signer.publicKey, kind, subject, signature: EMPTY };
}

function signed(signer: EventSigner, event: EventObject): EventObject {
  return { ...event, signature: signer.sign(eventSigningBytes(event)) };
}

/** The first event of a group: the founder, approved as admin. Its id is the group id. */
export function genesisEvent(
  signer: EventSigner,
  card: Omit<PeerCard, 'key'>,
  time: number,
  nonce: Uint8Array = randomBytes(NONCE_BYTES),
): EventObject {
  const body: EventBody = { kind: 'genesis', mode: 'secure-peer', ...card, nonce };
  return signed(signer, unsigned(signer, { group: null, seq: 0, prev: null, time }, body));
}

/** An event on top of `parent` in group `group`, signed by `signer`. */
export function childEvent(
  signer: EventSigner,
  group: ObjectId,
  parent: HeldEvent,
  body: Exclude<EventBody, { kind: 'genesis' | 'rotate-key' }>,
  time: number,
): EventObject {
  const at = { group, seq: parent.event.seq + 1, prev: parent.id, time };
  return signed(signer, unsigned(signer, at, body));
}

/** A key rotation: the new key signs first (over the event with its own signature empty), then the old key. */
export function rotateKeyEvent(
  oldSigner: EventSigner,
  newSigner: EventSigner,
  group: ObjectId,
  parent: HeldEvent,
  next: { ageRecipient: string; certificateFingerprint: string },
  time: number,
  heads: readonly ObjectId[] = [],
): EventObject {
  const at = { group, seq: parent.event.seq + 1, prev: parent.id, time };
  const body: EventBody = {
    kind: 'rotate-key',
    next: { key: newSigner.publicKey, ...next },
    heads,
    keySignature: EMPTY,
  };
  const draft = unsigned(oldSigner, at, body);
  // Both signatures empty: the draft's signing bytes are what the new key signs (rotationSigningBytes).
  const keySignature = newSigner.sign(eventSigningBytes(draft));
  return signed(oldSigner, { ...draft, subject: [...draft.subject.slice(0, -1), keySignature] });
}

/** A join request for `group`, valid for `ttl` seconds from `now`, with a fresh single-use nonce. */
export function createJoinRequest(
  signer: EventSigner,
  card: Omit<PeerCard, 'key'>,
  group: ObjectId,
  now: number,
  ttl = REQUEST_TTL_SECONDS,
): JoinRequest {
  const fields = {
    ...card,
    key: signer.publicKey,
    group,
    expires: now + ttl,
    nonce: randomBytes(NONCE_BYTES),
  };
  return { ...fields, signature: signer.sign(joinRequestBytes(fields)) };
}
