// A small X25519-only age v1 encryptor on node:crypto natives, the counterpart of age-decrypt.ts. typage's
// Encrypter reads its output through `new Response(…)`, which loads undici (and with it http, tls, http2,
// zlib, worker_threads) and runs ChaCha20 in JavaScript: a secure-peer `import` of 10,000 keys took 1.84G
// instructions against 0.94G in plaintext (bench/secrets.mjs, docs/performance.md).

import { createCipheriv, createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  CHUNK,
  chunkCount,
  hkdf,
  setChunkNonce,
  TAG,
  VERSION_LINE,
  X25519_LABEL,
  x25519SharedSecret,
} from './age-v1.ts';

/** Raised for a recipient key that is not a usable X25519 public key (a low-order point): the `index`-th. */
export class AgeEncryptError extends Error {
  readonly index: number;

  constructor(index: number) {
    super(`recipient ${index + 1} is not a usable X25519 public key`);
    this.index = index;
  }
}

/** Standard base64 without padding, as age's header writes it. */
function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

/** A stanza body in lines of 64 columns; the last line is shorter, empty when the body fills the one before. */
function bodyLines(body: Uint8Array): string {
  const text = base64(body);
  let lines = '';
  for (let at = 0; at <= text.length; at += 64) lines += `${text.slice(at, at + 64)}\n`;
  return lines;
}

/** ChaCha20-Poly1305 seal of `plaintext` into `into` at `at` (ciphertext ‖ tag); returns the end. */
function seal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  into: Uint8Array,
  at: number,
): number {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  const head = cipher.update(plaintext);
  into.set(head, at);
  const tail = cipher.final();
  into.set(tail, at + head.length);
  into.set(cipher.getAuthTag(), at + head.length + tail.length);
  return at + plaintext.length + TAG;
}

/** The `-> X25519` stanza that wraps `fileKey` to the 32-byte public key `recipient`. */
function x25519Stanza(fileKey: Uint8Array, recipient: Uint8Array, index: number): string {
  const ephemeral = generateKeyPairSync('x25519');
  const share = Buffer.from(ephemeral.publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const shared = x25519SharedSecret(ephemeral.privateKey, recipient);
  if (shared === null) throw new AgeEncryptError(index);
  const wrapKey = hkdf(shared, Buffer.concat([share, recipient]), X25519_LABEL);
  const body = new Uint8Array(fileKey.length + TAG);
  seal(wrapKey, new Uint8Array(12), fileKey, body, 0);
  return `-> X25519 ${base64(share)}\n${bodyLines(body)}`;
}

/**
 * Encrypts `plaintext` to each 32-byte X25519 public key of `recipients` (at least one) as one binary age v1
 * file: a fresh file key wrapped once per recipient, the header's HMAC, a random payload nonce, and the
 * payload in 64 KiB ChaCha20-Poly1305 chunks.
 */
export function encryptAge(plaintext: Uint8Array, recipients: readonly Uint8Array[]): Uint8Array {
  if (recipients.length === 0) throw new RangeError('no recipient to encrypt to');
  const fileKey = randomBytes(16);
  const header = `${VERSION_LINE}${recipients.map((recipient, index) => x25519Stanza(fileKey, recipient, index)).join('')}---`;
  const mac = createHmac('sha256', hkdf(fileKey, new Uint8Array(0), 'header'))
    .update(header, 'latin1')
    .digest();
  const headerBytes = Buffer.from(`${header} ${base64(mac)}\n`, 'latin1');
  const chunks = chunkCount(plaintext.length);
  const file = new Uint8Array(headerBytes.length + 16 + plaintext.length + chunks * TAG);
  file.set(headerBytes, 0);
  const payloadNonce = randomBytes(16);
  file.set(payloadNonce, headerBytes.length);
  const payloadKey = hkdf(fileKey, payloadNonce, 'payload');
  const nonce = Buffer.alloc(12);
  let at = headerBytes.length + 16;
  for (let index = 0; index < chunks; index++) {
    setChunkNonce(nonce, index, index === chunks - 1);
    at = seal(payloadKey, nonce, plaintext.subarray(index * CHUNK, (index + 1) * CHUNK), file, at);
  }
  return file;
}
