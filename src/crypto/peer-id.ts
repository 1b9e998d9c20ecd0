// Peer ids: a short, typable, checksummed name for a peer, derived from its Ed25519 public key.
// Format (docs/security-identity.md#peer-id): base32 of SHA-256(key)[0..20], a Luhn mod 32 check character
// after every 8 characters, shown as 6 dash-separated groups of 6.

import { createHash } from 'node:crypto';
import { bech32 } from '@scure/base';
import { EnvSyncError } from '../errors.ts';

/** A peer id in canonical form: upper case, with dashes, e.g. `MFRGGZ-DFMZTW-…`. */
export type PeerId = string & { readonly __brand: 'PeerId' };

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'; // RFC 4648 base32
const DIGEST_BYTES = 20; // 160 bits: 2^160 work to match a given id; see docs for why that is enough
const CHUNK = 8; // data characters per check character
const DATA_CHARS = (DIGEST_BYTES * 8) / 5; // 32
const TOTAL_CHARS = DATA_CHARS + DATA_CHARS / CHUNK; // 36
const GROUP = 6;
/** Characters people type by mistake for a base32 one (Syncthing untypoifies the same way). */
const LOOKALIKES: Record<string, string> = { '0': 'O', '1': 'I', '8': 'B', '9': 'G' };

export const PEER_ID_LENGTH = TOTAL_CHARS + TOTAL_CHARS / GROUP - 1; // 41 with dashes

/** Luhn mod N check value (N = 32) over `values` (indexes in ALPHABET). */
function luhnValue(values: readonly number[]): number {
  let factor = 2;
  let sum = 0;
  for (let i = values.length - 1; i >= 0; i--) {
    const addend = factor * values[i]!;
    factor = factor === 2 ? 1 : 2;
    sum += Math.floor(addend / 32) + (addend % 32);
  }
  return (32 - (sum % 32)) % 32;
}

/** Luhn mod N check character (N = 32, code point = index in ALPHABET) over `chars`. */
function luhn32(chars: string): string {
  return ALPHABET[luhnValue([...chars].map((c) => ALPHABET.indexOf(c)))]!;
}

function group(chars: string): PeerId {
  const groups: string[] = [];
  for (let i = 0; i < chars.length; i += GROUP) groups.push(chars.slice(i, i + GROUP));
  return groups.join('-') as PeerId;
}

/** The peer id of an Ed25519 public key (32 raw bytes). */
export function peerIdFromPublicKey(publicKey: Uint8Array): PeerId {
  if (publicKey.length !== 32) {
    throw new EnvSyncError('E_IDENTITY', `an Ed25519 public key has 32 bytes, not ${publicKey.length}`);
  }
  // Built character by character from the base32 words: a chain has thousands of keys (this was ≈ 4 µs each).
  const words = bech32.toWords(createHash('sha256').update(publicKey).digest().subarray(0, DIGEST_BYTES));
  let id = '';
  let count = 0;
  const put = (value: number): void => {
    if (count > 0 && count % GROUP === 0) id += '-';
    id += ALPHABET[value];
    count++;
  };
  for (let i = 0; i < DATA_CHARS; i += CHUNK) {
    const chunk = words.slice(i, i + CHUNK);
    for (const value of chunk) put(value);
    put(luhnValue(chunk));
  }
  return id as PeerId;
}

function invalid(message: string): EnvSyncError {
  return new EnvSyncError('E_USAGE', message);
}

/**
 * Parses a peer id typed by a person: case and dashes (or spaces) do not matter; any single mistyped
 * character is caught by the check characters. Returns the canonical form.
 */
export function parsePeerId(input: string): PeerId {
  const chars = input.replace(/[-\s]/g, '').toUpperCase();
  const shown = input.length > 60 ? input.slice(0, 60) + '…' : input;
  if (chars.length !== TOTAL_CHARS) {
    throw invalid(
      `peer id '${shown}' has ${chars.length} characters without dashes; a peer id has ${TOTAL_CHARS} ` +
        `(6 groups of 6, like XXXXXX-XXXXXX-XXXXXX-XXXXXX-XXXXXX-XXXXXX)`,
    );
  }
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (!ALPHABET.includes(c)) {
      const hint = LOOKALIKES[c] === undefined ? '' : ` (did you mean '${LOOKALIKES[c]}'?)`;
      throw invalid(
        `peer id '${shown}' has '${c}' at character ${i + 1}, which is not in its alphabet A-Z 2-7${hint}`,
      );
    }
  }
  for (let i = 0; i < TOTAL_CHARS; i += CHUNK + 1) {
    const chunk = chars.slice(i, i + CHUNK);
    if (luhn32(chunk) !== chars[i + CHUNK]) {
      throw invalid(
        `peer id '${shown}' has a typo in '${chars.slice(i, i + CHUNK + 1)}' (characters ${i + 1}-${i + CHUNK + 1}, ` +
          `not counting dashes): its check character does not match; copy the id again`,
      );
    }
  }
  return group(chars);
}
