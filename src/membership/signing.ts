// The bytes each membership signature covers, event ids, and the signature check.
// Formats: docs/membership.md#event-format. Everything here is deterministic and free of I/O.

import { EnvSyncError } from '../errors.ts';
import { encodeCanonical } from '../store/encoding.ts';
import { hashObjectBytes, idToBytes, type ObjectId } from '../store/object-id.ts';
import { decodeObject, type EventObject, encodeObject } from '../store/objects.ts';
import type { JoinRequest } from './event-format.ts';

const EMPTY = new Uint8Array(0);

/** Anything that signs with an Ed25519 key: crypto's SigningKey is one. */
export interface EventSigner {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** An event with its exact stored (canonical) bytes and their id. Made only by wireEvent and wireEventFromBytes. */
export interface WireEvent {
  readonly id: ObjectId;
  readonly event: EventObject;
  readonly bytes: Uint8Array;
}

/** A WireEvent for an event built or decoded here: its canonical encoding. */
export function wireEvent(event: EventObject): WireEvent {
  const bytes = encodeObject(event);
  return { id: hashObjectBytes(bytes), event, bytes };
}

/**
 * A WireEvent from received bytes, decoded strictly (canonical only). `id` is their hash: computed here unless
 * the caller checked it already (the object store's readRaw does).
 */
export function wireEventFromBytes(
  bytes: Uint8Array,
  what: string,
  id: ObjectId = hashObjectBytes(bytes),
): WireEvent {
  const object = decodeObject(bytes, what);
  if (object.type !== 'event') {
    throw new EnvSyncError('E_OBJECT_TYPE', `${what} is a ${object.type}, expected an event`);
  }
  return { id, event: object, bytes };
}

/** A WireEvent, or an event object that becomes one. */
export function asWireEvent(item: EventObject | WireEvent): WireEvent {
  return 'bytes' in item ? item : wireEvent(item);
}

/** The canonical encoding of the event with a zero-length signature (tailnet lock's SigHash). */
export function eventSigningBytes(event: EventObject): Uint8Array {
  return encodeObject({ ...event, signature: EMPTY });
}

/**
 * What the new key of a rotate-key event signs: its signing bytes with its own signature (the subject's last
 * field) emptied too. The decoder accepts only canonical bytes, so encoding the decoded event again gives
 * back exactly what was signed.
 */
export function rotationSigningBytes(event: EventObject): Uint8Array {
  return eventSigningBytes({ ...event, subject: [...event.subject.slice(0, -1), EMPTY] });
}

/** The id of an event: SHA-256 of its stored bytes, as for every object. */
export function eventId(event: EventObject): ObjectId {
  return hashObjectBytes(encodeObject(event));
}

/** What a join request's self-signature covers: its group, card, expiry and nonce, in canonical msgpack. */
export function joinRequestBytes(request: Omit<JoinRequest, 'signature'>): Uint8Array {
  return encodeCanonical([
    'env-sync-join-request',
    1,
    idToBytes(request.group),
    request.key,
    request.name,
    request.ageRecipient,
    request.certificateFingerprint,
    request.expires,
    request.nonce,
  ]);
}

/** Ed25519 verification with a per-key cache: crypto's implementation, named for this module's callers. */
export { verifySignature as verifyEd25519 } from '../crypto/ed25519.ts';
