// Parses age X25519 recipients (`age1…`, the public half of an age identity): the one check every recipient
// passes where it enters (a join request, a membership event, `config set encrypt.recipients`, a seal).
// Only native X25519 recipients are accepted: every peer has one, and the Debian `age` CLI reads them.
// The rules: docs/identity.md#which-keys-recipients-and-signatures-are-accepted.

import { EnvSyncError } from '../errors.ts';
import { decodeAgeBech32, encodeAgeBech32 } from './age-bech32.ts';

/** A valid age X25519 recipient in its canonical (lower case) form. */
export type AgeRecipient = string & { readonly __brand: 'AgeRecipient' };

/** A recipient refused (E_RECIPIENT_INVALID); `recipient` is the text given, for a caller to say whose it is. */
export class RecipientInvalidError extends EnvSyncError {
  readonly recipient: string;

  constructor(recipient: string, reason: string) {
    // Only echo input that looks public; a pasted secret key must never reach a message.
    const shown = /^age1[a-z0-9]{0,100}$/i.test(recipient) ? ` '${recipient}'` : '';
    super('E_RECIPIENT_INVALID', `not an age X25519 recipient${shown}: ${reason}`);
    this.recipient = recipient;
  }
}

const LOW_ORDER_REASON = 'it is a low-order X25519 point (every shared secret would be all zeros)';

// The u-coordinates of the X25519 points of order dividing 8 (on the curve or its twist), with their
// non-canonical encodings (u + p), as libsodium lists them: X25519 of any clamped scalar (a multiple of 8)
// with one of them is all zeros. Bit 255 is ignored, as X25519 ignores it (RFC 7748).
const LOW_ORDER = new Set([
  '0000000000000000000000000000000000000000000000000000000000000000', // 0
  '0100000000000000000000000000000000000000000000000000000000000000', // 1
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p, another encoding of 0
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1, another encoding of 1
]);

/** True when X25519 with `publicKey` gives all zeros, whatever the private key. */
export function isLowOrderX25519(publicKey: Uint8Array): boolean {
  const u = Buffer.from(publicKey);
  u[31]! &= 0x7f;
  return LOW_ORDER.has(u.toString('hex'));
}

/**
 * The 32-byte X25519 public key of an `age1…` recipient. Refuses (RecipientInvalidError, E_RECIPIENT_INVALID,
 * the message saying why) anything but a lower-case, printable-ASCII bech32 string with the `age` prefix, a
 * valid checksum and 32 bytes, and a low-order point, with which every shared secret would be all zeros.
 */
export function parseAgeRecipient(text: string): Uint8Array {
  if (/^AGE-SECRET-KEY-/i.test(text)) {
    throw new RecipientInvalidError(
      text,
      'this is an age secret key, not a recipient; keep it private and use its age1… public key',
    );
  }
  if (/^ssh-/.test(text))
    throw new RecipientInvalidError(text, 'SSH recipients are not supported; use an age1… key');
  // Their human-readable part is `age1pq` or `age1tag` (bech32's separator is the last `1`). An X25519 key's
  // data part never holds a `1`, yet may well start with `pq` or `tag`: about one key in a thousand.
  if (/^age1(pq|tag)1/i.test(text)) {
    throw new RecipientInvalidError(
      text,
      'post-quantum and tag recipients are not supported; use an X25519 age1… key',
    );
  }
  const decoded = decodeAgeBech32(text, 'age');
  if (!decoded.ok) throw new RecipientInvalidError(text, decoded.reason);
  if (isLowOrderX25519(decoded.bytes)) throw new RecipientInvalidError(text, LOW_ORDER_REASON);
  return decoded.bytes;
}

/** The recipient of a 32-byte X25519 public key. */
export function encodeAgeRecipient(publicKey: Uint8Array): AgeRecipient {
  return encodeAgeBech32('age', publicKey) as AgeRecipient;
}
