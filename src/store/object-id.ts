// Object ids: the lowercase hex SHA-256 of an object's exact stored bytes (`sha256sum` agrees).
// Raw 32-byte ids appear inside objects; hex ids appear in refs, paths and output.

import crypto, { createHash } from 'node:crypto';
import { EnvSyncError } from '../errors.ts';

/** 64 lowercase hex characters. Branded so a random string cannot pass for an id. */
export type ObjectId = string & { readonly __objectId: unique symbol };

const HEX_ID = /^[0-9a-f]{64}$/;

export function isObjectId(text: string): text is ObjectId {
  return HEX_ID.test(text);
}

export function parseObjectId(text: string, what = 'object id'): ObjectId {
  if (!isObjectId(text)) throw new EnvSyncError('E_BAD_REVISION', `${what} is not a 64-character hex id`);
  return text;
}

// node:crypto rather than @noble/hashes: the store hashes every object it writes and reads; native SHA-256 is
// several times faster on small inputs (bench/store.mjs) and gives identical digests. The one-shot
// crypto.hash (Node 20.12+) skips the Hash object: about 0.4 µs per small object against 3 µs, paid for every
// object a fetch receives and every object a command reads.
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash;

export function hashObjectBytes(bytes: Uint8Array): ObjectId {
  if (oneShot !== undefined) return oneShot('sha256', bytes, 'hex') as ObjectId;
  return createHash('sha256').update(bytes).digest('hex') as ObjectId;
}

export function idToBytes(id: ObjectId): Uint8Array {
  return Buffer.from(id, 'hex');
}

export function idFromBytes(bytes: Uint8Array, what: string): ObjectId {
  if (bytes.length !== 32)
    throw new EnvSyncError('E_OBJECT_CORRUPT', `${what}: object reference must be 32 bytes`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex') as ObjectId;
}

export function shortId(id: ObjectId): string {
  return id.slice(0, 12);
}
