// What age v1 (C2SP age.md) fixes for both directions, shared by age-encrypt.ts and age-decrypt.ts.

import { hkdfSync } from 'node:crypto';

export const VERSION_LINE = 'age-encryption.org/v1\n';
export const X25519_LABEL = 'age-encryption.org/v1/X25519';
/** Payload chunk size (plaintext bytes), and the Poly1305 tag each sealed chunk carries. */
export const CHUNK = 64 * 1024;
export const TAG = 16;

/** HKDF-SHA-256 to 32 bytes. */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

/** Sets `nonce` (12 bytes) to chunk `index`'s: an 11-byte big-endian counter (below 2^48 here), then the flag. */
export function setChunkNonce(nonce: Buffer, index: number, last: boolean): void {
  nonce.writeUIntBE(index, 5, 6);
  nonce[11] = last ? 1 : 0;
}

/** Chunks of a payload of `plaintextLength` bytes: full ones, then a last one that is empty only if all is. */
export function chunkCount(plaintextLength: number): number {
  return Math.max(1, Math.ceil(plaintextLength / CHUNK));
}
