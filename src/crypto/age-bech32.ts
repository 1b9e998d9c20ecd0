// Decodes and encodes the bech32 strings of age keys (BIP 173 through @scure/base): `age1…` recipients and
// `AGE-SECRET-KEY-1…` identities. Reasons never quote the input, which may be a secret key.

import { bech32 } from '@scure/base';

export type AgeBech32Result = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

// Printable ASCII only: a decoder that folds case first would read the Kelvin sign U+212A as `k`.
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * Decodes a 32-byte key under the human-readable part `hrp`, in `hrp`'s case only: as age does, recipients
 * are lower case (`age`) and identities upper case (`AGE-SECRET-KEY-`); the other case or a mix is refused.
 */
export function decodeAgeBech32(text: string, hrp: string): AgeBech32Result {
  if (!PRINTABLE_ASCII.test(text)) {
    return { ok: false, reason: 'it holds a character that is not printable ASCII' };
  }
  const upper = hrp === hrp.toUpperCase();
  if (text !== (upper ? text.toUpperCase() : text.toLowerCase())) {
    return { ok: false, reason: `it is not all ${upper ? 'upper' : 'lower'} case` };
  }
  if (!text.startsWith(`${hrp}1`)) return { ok: false, reason: `it does not start with ${hrp}1` };
  // @scure/base's messages quote the input, so only its verdict is used.
  const decoded = bech32.decodeUnsafe(text.toLowerCase(), false);
  if (decoded === undefined) {
    return { ok: false, reason: 'its bech32 checksum does not match (a typo or a truncated copy?)' };
  }
  if (decoded.prefix !== hrp.toLowerCase()) return { ok: false, reason: `its prefix is not ${hrp}` };
  const bytes = bech32.fromWordsUnsafe(decoded.words);
  if (bytes === undefined) return { ok: false, reason: 'it has invalid bech32 padding bits' };
  if (bytes.length !== 32) return { ok: false, reason: `it holds ${bytes.length} bytes, not a 32-byte key` };
  return { ok: true, bytes };
}

/** Encodes a key under `hrp`, in `hrp`'s case (`age` → `age1…`, `AGE-SECRET-KEY-` → upper case). */
export function encodeAgeBech32(hrp: string, bytes: Uint8Array): string {
  const text = bech32.encode(hrp.toLowerCase(), bech32.toWords(bytes), 100);
  return hrp === hrp.toUpperCase() ? text.toUpperCase() : text;
}
