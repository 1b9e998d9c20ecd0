// Parses age X25519 recipients (`age1…`), the public half of an age identity, into a typed value.
// Only native X25519 recipients are accepted: every peer has one, and the Debian `age` CLI reads them.

import { EnvSyncError } from '../errors.ts';
import { decodeBech32 } from './bech32.ts';

/** A valid age X25519 recipient in canonical (lower case) form. */
export type AgeRecipient = string & { readonly __brand: 'AgeRecipient' };

function refuse(input: string, reason: string): EnvSyncError {
  // Only echo input that looks public; a pasted secret key must never reach a message.
  const shown = /^age1[a-z0-9]{0,100}$/i.test(input) ? ` '${input}'` : '';
  return new EnvSyncError('E_USAGE', `not an age X25519 recipient${shown}: ${reason}`);
}

export function parseAgeRecipient(input: string): AgeRecipient {
  const text = input.trim();
  if (/^AGE-SECRET-KEY-/i.test(text)) {
    throw refuse(
      text,
      'this is an age secret key, not a recipient; keep it private and use its age1… public key',
    );
  }
  if (/^ssh-/.test(text)) throw refuse(text, 'SSH recipients are not supported; use an age1… key');
  // Their human-readable part is `age1pq` or `age1tag` (bech32's separator is the last `1`). An X25519 key's
  // data part never holds a `1`, yet may well start with `pq` or `tag`: about one key in a thousand.
  if (/^age1(pq|tag)1/i.test(text)) {
    throw refuse(text, 'post-quantum and tag recipients are not supported; use an X25519 age1… key');
  }
  if (!/^age1/i.test(text)) throw refuse(text, 'it does not start with age1');
  const decoded = decodeBech32(text);
  if (!decoded.ok) throw refuse(text, decoded.reason);
  if (decoded.hrp !== 'age' || decoded.bytes.length !== 32) {
    throw refuse(text, `it holds ${decoded.bytes.length} bytes, not a 32-byte X25519 key`);
  }
  return text.toLowerCase() as AgeRecipient;
}
