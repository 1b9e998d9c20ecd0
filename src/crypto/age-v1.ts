// What age v1 (C2SP age.md) fixes for both directions, shared by age-encrypt.ts and age-decrypt.ts.

import { createPublicKey, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';

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

/**
 * X25519 of `privateKey` with the raw 32-byte public key `peer`; null when `peer` is a low-order point (the
 * shared secret would be all zeros: OpenSSL refuses it, and it is checked here too).
 */
export function x25519SharedSecret(privateKey: KeyObject, peer: Uint8Array): Buffer | null {
  let shared: Buffer;
  try {
    // JWK: OpenSSL imports it about 5x faster than the same key as SPKI DER.
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peer).toString('base64url') },
      format: 'jwk',
    });
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    return null;
  }
  return shared.every((byte) => byte === 0) ? null : shared;
}
