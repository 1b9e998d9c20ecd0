// The bytes each membership signature covers, event ids, and signature checks with a per-key cache.
// Formats: docs/membership.md#signatures. Everything here is deterministic and free of I/O.

import { encodeCanonical } from '../store/encoding.ts';
import { hashObjectBytes, idToBytes, type ObjectId } from '../store/object-id.ts';
import { type EventObject, encodeObject } from '../store/objects.ts';
import type { JoinRequest } from './event-format.ts';

const EMPTY = new Uint8Array(0);

/** Anything that signs with an Ed25519 key: crypto's SigningKey is one. */
export interface EventSigner {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** The canonical encoding of the event with a zero-length signature (tailnet lock's SigHash). */
export function eventSigningBytes(event: EventObject): Uint8Array {
  return encodeObject({ ...event, signature: EMPTY });
}

/** The id of an event: SHA-256 of its stored bytes, as for every object. */
export function eventId(event: EventObject): ObjectId {
  return hashObjectBytes(encodeObject(event));
}

/**
 * The id and signing bytes of an event from one encoding: the signature is the last field, a 64-byte msgpack
 * bin8 (c4 40 …); with an empty signature that field is c4 00 and nothing before it changes.
 */
export function eventIdAndSigningBytes(event: EventObject): { id: ObjectId; signing: Uint8Array } {
  const bytes = encodeObject(event);
  const cut = bytes.length - 66;
  if (event.signature.length !== 64 || bytes[cut] !== 0xc4 || bytes[cut + 1] !== 0x40) {
    return { id: hashObjectBytes(bytes), signing: eventSigningBytes(event) };
  }
  const signing = new Uint8Array(cut + 2);
  signing.set(bytes.subarray(0, cut));
  signing[cut] = 0xc4;
  return { id: hashObjectBytes(bytes), signing };
}

/** What the new key of a rotate-key event signs: the signing bytes with its own signature field emptied. */
export function rotationSigningBytes(event: EventObject): Uint8Array {
  return eventSigningBytes({ ...event, subject: [...event.subject.slice(0, 3), EMPTY] });
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
