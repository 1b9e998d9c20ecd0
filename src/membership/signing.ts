// The bytes each membership signature covers, event ids, and signature checks with a per-key cache.
// Formats: docs/membership.md#event-format. Everything here is deterministic and free of I/O.

import { EnvSyncError } from '../errors.ts';
import { encodeCanonical } from '../store/encoding.ts';
import { hashObjectBytes, idToBytes, type ObjectId } from '../store/object-id.ts';
import { decodeObject, type EventField, type EventObject, encodeObject } from '../store/objects.ts';
import type { JoinRequest } from './event-format.ts';

const EMPTY = new Uint8Array(0);

/** Anything that signs with an Ed25519 key: crypto's SigningKey is one. */
export interface EventSigner {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/**
 * An event with its exact stored (canonical) bytes and their id. Verification derives every signed message
 * from `bytes`, so a received event is never encoded again. Made only by wireEvent and wireEventFromBytes.
 */
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

/** The id of an event: SHA-256 of its stored bytes, as for every object. */
export function eventId(event: EventObject): ObjectId {
  return hashObjectBytes(encodeObject(event));
}

// An event's last field is its signature; a 64-byte one is encoded c4 40 <64 bytes>, and emptied it is c4 00
// with nothing before it changed (msgpack arrays carry a count, not a byte length). A rotate-key event's
// subject ends with the new key's signature, right before the event's own.
const SIGNATURE_FIELD = 66;
const EMPTY_FIELD = Uint8Array.of(0xc4, 0x00);

/**
 * Where the last `fields` fields of stored event bytes start, if each is a 64-byte byte string: the signed
 * message is `bytes` up to there, then `fields` empty byte strings. Null otherwise (nothing then verifies).
 */
function signedPrefix(bytes: Uint8Array, fields: 1 | 2): number | null {
  const cut = bytes.length - fields * SIGNATURE_FIELD;
  if (cut < 0) return null;
  for (let at = cut; at < bytes.length; at += SIGNATURE_FIELD) {
    if (bytes[at] !== 0xc4 || bytes[at + 1] !== 0x40) return null;
  }
  return cut;
}

/** The message the last `fields` signatures of stored event bytes cover, in parts (null: see signedPrefix). */
export function signedMessageParts(bytes: Uint8Array, fields: 1 | 2): Uint8Array[] | null {
  const cut = signedPrefix(bytes, fields);
  if (cut === null) return null;
  const prefix = bytes.subarray(0, cut);
  return fields === 1 ? [prefix, EMPTY_FIELD] : [prefix, EMPTY_FIELD, EMPTY_FIELD];
}

const joined = (parts: Uint8Array[] | null): Uint8Array | null =>
  parts === null ? null : Buffer.concat(parts);

/** The signing bytes of a stored event, from its bytes; null when its signature is not 64 bytes. */
export function signingBytesOf(wire: WireEvent): Uint8Array | null {
  return joined(signedMessageParts(wire.bytes, 1));
}

/** What the new key of a rotate-key event signs: its signing bytes with its own signature field emptied too. */
export function rotationSigningBytesOf(wire: WireEvent): Uint8Array | null {
  return joined(signedMessageParts(wire.bytes, 2));
}

// ["env-sync-join-request", 1, group…]: a 9-item array, the type string, the version, the group's 32-byte header.
const JOIN_REQUEST_HEADER = Uint8Array.of(
  0x99,
  0xb5,
  ...Buffer.from('env-sync-join-request'),
  0x01,
  0xc4,
  0x20,
);

/** The length of a subject field in canonical msgpack (docs/object-format.md#canonical-encoding). */
function fieldLength(value: EventField): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'number') return value < 0x80 ? 1 : value < 0x100 ? 2 : value < 0x10000 ? 3 : 5;
  const size = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  const header = typeof value === 'string' && size < 32 ? 1 : size < 0x100 ? 2 : size < 0x10000 ? 3 : 5;
  return header + size;
}

/**
 * joinRequestBytes of the join request a `request` or `approve` event carries, in parts, from the event's
 * bytes: the request's key, name, age recipient, fingerprint, expiry and nonce are the subject's first six
 * fields, encoded as the request encodes them, so they are copied rather than encoded again. The event's
 * subject must have parsed as a request (parseEventBody); null when its signature field is not 64 bytes.
 */
export function joinRequestParts(wire: WireEvent): Uint8Array[] | null {
  const subjectEnd = signedPrefix(wire.bytes, 1);
  if (subjectEnd === null || wire.event.group === null) return null;
  const { subject } = wire.event;
  let end = subjectEnd;
  for (let i = 6; i < subject.length; i++) end -= fieldLength(subject[i]!);
  let start = end;
  for (let i = 0; i < 6; i++) start -= fieldLength(subject[i]!);
  return [JOIN_REQUEST_HEADER, groupBytes(wire.event.group), wire.bytes.subarray(start, end)];
}

// Every event of a batch names the same group: its bytes are made once (parts are only read, never changed).
let lastGroup: { readonly id: ObjectId; readonly bytes: Uint8Array } | null = null;
function groupBytes(id: ObjectId): Uint8Array {
  if (lastGroup?.id !== id) lastGroup = { id, bytes: idToBytes(id) };
  return lastGroup.bytes;
}

/** joinRequestBytes of the join request a `request` or `approve` event carries (joinRequestParts). */
export function joinRequestBytesOf(wire: WireEvent): Uint8Array | null {
  return joined(joinRequestParts(wire));
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
