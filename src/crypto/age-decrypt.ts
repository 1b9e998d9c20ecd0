// A small X25519-only age v1 decryptor on node:crypto natives: typage's decryption path (web streams,
// `new Response(…)` loading undici, a post-quantum module graph) measured ~100 ms of start-up per CLI call.

import {
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto';
import { CHUNK, hkdf, setChunkNonce, TAG, VERSION_LINE, X25519_LABEL, x25519SharedSecret } from './age-v1.ts';

/**
 * Where a file failed, as the age test vectors class it: `header` (malformed or truncated before the payload),
 * `hmac` (the header was modified), `payload` (the STREAM does not authenticate to its end: modified or
 * truncated), `unsupported` (a passphrase file: env-sync opens X25519 stanzas only).
 */
export type AgeFailure = 'header' | 'hmac' | 'payload' | 'unsupported';

/** A format, MAC or authentication failure; messages follow typage's wording and never quote the input. */
export class AgeDecryptError extends Error {
  readonly failure: AgeFailure;

  constructor(failure: AgeFailure, message: string) {
    super(message);
    this.failure = failure;
  }
}

/** No X25519 stanza of the header opens with this identity. */
export class AgeNoMatchError extends Error {
  constructor() {
    super("no identity matched any of the file's recipients");
  }
}

/** An X25519 identity: its secret scalar as a KeyObject, and its public key (the recipient's 32 bytes). */
export interface X25519Identity {
  readonly privateKey: KeyObject;
  readonly publicKey: Uint8Array;
}

// The DER prefix wrapping a raw 32-byte X25519 secret as PKCS#8 (RFC 8410). Node's JWK import needs the
// public key beside the secret, which is what is being derived here.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** Makes an identity from the 32-byte secret scalar (the payload of an AGE-SECRET-KEY-1… string). */
export function x25519Identity(scalar: Uint8Array): X25519Identity {
  if (scalar.length !== 32) throw new RangeError('X25519 private key must be 32 bytes');
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, scalar]),
    format: 'der',
    type: 'pkcs8',
  });
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
  return { privateKey, publicKey: new Uint8Array(Buffer.from(x!, 'base64url')) };
}

const BASE64 = /^[A-Za-z0-9+/]*$/;

interface Stanza {
  args: string[];
  body: Uint8Array;
}

/**
 * Decrypts a binary age v1 file (C2SP age.md) with one X25519 identity. Throws AgeNoMatchError when no
 * X25519 stanza opens, else AgeDecryptError for any malformed, modified or truncated input.
 */
export function decryptAge(file: Uint8Array, identity: X25519Identity): Uint8Array {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (
    bytes.length < VERSION_LINE.length ||
    bytes.toString('latin1', 0, VERSION_LINE.length) !== VERSION_LINE
  ) {
    throw new AgeDecryptError('header', 'invalid version line');
  }
  const { stanzas, headerNoMac, mac, payloadStart } = parseHeader(bytes);
  checkStanzaMix(stanzas);
  const fileKey = unwrapFileKey(stanzas, identity);
  if (fileKey === null) throw new AgeNoMatchError();
  const hmacKey = hkdf(fileKey, new Uint8Array(0), 'header');
  const expected = createHmac('sha256', hmacKey).update(headerNoMac).digest();
  if (!timingSafeEqual(expected, mac)) throw new AgeDecryptError('hmac', 'invalid header HMAC');
  return decryptPayload(fileKey, bytes.subarray(payloadStart));
}

function parseHeader(bytes: Buffer): {
  stanzas: Stanza[];
  headerNoMac: Buffer;
  mac: Buffer;
  payloadStart: number;
} {
  let position = VERSION_LINE.length;
  /** The next line without its `\n`, or null at the end of the input. */
  const readLine = (): { text: string; start: number } | null => {
    const end = bytes.indexOf(0x0a, position);
    if (end === -1) return null;
    for (let i = position; i < end; i++) {
      const byte = bytes[i]!;
      if (byte < 0x20 || byte > 0x7e) throw new AgeDecryptError('header', 'invalid non-ASCII byte in header');
    }
    const line = { text: bytes.toString('latin1', position, end), start: position };
    position = end + 1;
    return line;
  };
  const stanzas: Stanza[] = [];
  for (;;) {
    const line = readLine();
    if (line === null) throw new AgeDecryptError('header', 'invalid stanza');
    if (line.text.startsWith('-> ')) {
      const args = line.text.slice(3).split(' ');
      if (args.some((arg) => arg.length === 0)) throw new AgeDecryptError('header', 'invalid stanza');
      const chunks: Buffer[] = [];
      for (;;) {
        const bodyLine = readLine();
        if (bodyLine === null || bodyLine.text.length > 64)
          throw new AgeDecryptError('header', 'invalid stanza');
        chunks.push(decodeBase64(bodyLine.text, 'invalid base64 in a stanza body'));
        if (bodyLine.text.length < 64) break;
      }
      stanzas.push({ args, body: Buffer.concat(chunks) });
      continue;
    }
    if (!line.text.startsWith('--- ')) throw new AgeDecryptError('header', 'invalid header');
    const mac = decodeBase64(line.text.slice(4), 'invalid header MAC (not canonical base64)');
    if (mac.length !== 32) throw new AgeDecryptError('header', 'invalid header MAC (not 32 bytes)');
    return { stanzas, headerNoMac: bytes.subarray(0, line.start + 3), mac, payloadStart: position };
  }
}

/**
 * age's rules on the header as a whole: at least one stanza, and a passphrase (scrypt) stanza only alone, so
 * that a passphrase file is never also readable with a key. A passphrase file is then refused as unsupported.
 */
function checkStanzaMix(stanzas: readonly Stanza[]): void {
  if (stanzas.length === 0) throw new AgeDecryptError('header', 'invalid header: no recipient stanza');
  if (!stanzas.some((stanza) => stanza.args[0] === 'scrypt')) return;
  if (stanzas.length > 1) {
    throw new AgeDecryptError('header', 'invalid header: a scrypt stanza must be the only stanza');
  }
  throw new AgeDecryptError('unsupported', 'passphrase-encrypted (scrypt) files are not supported');
}

/** Strict RawStdEncoding: the standard alphabet, no padding, no stray bits. */
function decodeBase64(text: string, failure: string): Buffer {
  if (!BASE64.test(text) || text.length % 4 === 1) throw new AgeDecryptError('header', failure);
  const decoded = Buffer.from(text, 'base64');
  if (decoded.toString('base64').replace(/=+$/, '') !== text) throw new AgeDecryptError('header', failure);
  return decoded;
}

function unwrapFileKey(stanzas: readonly Stanza[], identity: X25519Identity): Buffer | null {
  for (const stanza of stanzas) {
    if (stanza.args[0] !== 'X25519') continue;
    if (stanza.args.length !== 2 || stanza.body.length !== 32) {
      throw new AgeDecryptError('header', 'invalid X25519 stanza');
    }
    const share = decodeBase64(stanza.args[1]!, 'invalid base64 in an X25519 stanza');
    if (share.length !== 32) throw new AgeDecryptError('header', 'invalid X25519 stanza');
    const shared = x25519SharedSecret(identity.privateKey, share);
    if (shared === null) throw new AgeDecryptError('header', 'invalid X25519 stanza');
    const wrapKey = hkdf(shared, Buffer.concat([share, identity.publicKey]), X25519_LABEL);
    const fileKey = open(wrapKey, Buffer.alloc(12), stanza.body);
    if (fileKey !== null) return fileKey;
  }
  return null;
}

function decryptPayload(fileKey: Buffer, payload: Buffer): Uint8Array {
  if (payload.length < 16) {
    throw new AgeDecryptError('header', 'stream ended before reading the 16-byte payload nonce');
  }
  const payloadKey = hkdf(fileKey, payload.subarray(0, 16), 'payload');
  const ciphertext = payload.subarray(16);
  const chunks = Math.max(1, Math.ceil(ciphertext.length / (CHUNK + TAG)));
  // Sizes first: a final chunk shorter than its tag is a truncation; an empty one follows only an empty file.
  const finalLength = ciphertext.length - (chunks - 1) * (CHUNK + TAG);
  if (finalLength < TAG) throw new AgeDecryptError('payload', 'final chunk is truncated');
  if (finalLength === TAG && chunks > 1) throw new AgeDecryptError('payload', 'final chunk is empty');
  const plaintext = new Uint8Array(ciphertext.length - chunks * TAG);
  const nonce = Buffer.alloc(12);
  for (let index = 0; index < chunks; index++) {
    const last = index === chunks - 1;
    const start = index * (CHUNK + TAG);
    setChunkNonce(nonce, index, last);
    const opened = open(payloadKey, nonce, ciphertext.subarray(start, start + CHUNK + TAG));
    if (opened === null) throw new AgeDecryptError('payload', 'invalid tag');
    plaintext.set(opened, index * CHUNK);
  }
  return plaintext;
}

/** ChaCha20-Poly1305 open of `sealed` (ciphertext ‖ 16-byte tag); null if authentication fails. */
function open(key: Buffer, nonce: Buffer, sealed: Uint8Array): Buffer | null {
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  const head = decipher.update(sealed.subarray(0, sealed.length - TAG));
  try {
    return Buffer.concat([head, decipher.final()]);
  } catch {
    return null;
  }
}
