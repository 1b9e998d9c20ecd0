// Writes and reads age identity files in the format `age-keygen` writes and `age -d -i` reads:
// `# created:` and `# public key:` comments, then one AGE-SECRET-KEY-1… line.

import { EnvSyncError } from '../errors.ts';
import { decodeAgeBech32 } from './age-bech32.ts';
import { x25519Identity } from './age-decrypt.ts';
import { type AgeRecipient, encodeAgeRecipient } from './age-recipient.ts';

export interface AgeKeyPair {
  /** `AGE-SECRET-KEY-1…`: secret. */
  secretKey: string;
  recipient: AgeRecipient;
}

export async function generateAgeKeyPair(): Promise<AgeKeyPair> {
  const { generateX25519Identity } = await import('age-encryption');
  const secretKey = await generateX25519Identity();
  return ageKeyPairFromSecretKey(secretKey, 'the new age identity');
}

/** The file text; `createdAt` is an RFC 3339 time like age-keygen writes. */
export function formatAgeIdentityFile(pair: AgeKeyPair, createdAt: Date): string {
  const created = createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `# created: ${created}\n# public key: ${pair.recipient}\n${pair.secretKey}\n`;
}

const SECRET_KEY_PREFIX = 'AGE-SECRET-KEY-';

/**
 * The 32-byte scalar of one AGE-SECRET-KEY-1… string, checked well formed (cheap: no curve arithmetic).
 * Messages name `where` (a path or a description) and say what is wrong, never the key itself.
 */
export function decodeAgeSecretKey(secretKey: string, where: string): Uint8Array {
  if (!secretKey.startsWith('AGE-SECRET-KEY-1')) {
    throw new EnvSyncError('E_IDENTITY', `${where} is not an age X25519 identity (AGE-SECRET-KEY-1…)`);
  }
  const decoded = decodeAgeBech32(secretKey, SECRET_KEY_PREFIX);
  if (!decoded.ok) {
    throw new EnvSyncError('E_IDENTITY', `${where} has a damaged age secret key: ${decoded.reason}`);
  }
  return decoded.bytes;
}

/**
 * Checks `secretKey` (see decodeAgeSecretKey) and derives its recipient with node:crypto's native X25519, so
 * that loading an identity does not load the age-encryption library (about 30 ms of start-up); the tests
 * compare the result with age-encryption's identityToRecipient.
 */
export async function ageKeyPairFromSecretKey(secretKey: string, where: string): Promise<AgeKeyPair> {
  const scalar = decodeAgeSecretKey(secretKey, where);
  const recipient = encodeAgeRecipient(x25519Identity(scalar).publicKey);
  scalar.fill(0);
  return { secretKey, recipient };
}

/** Parses the file at `path` (already read as `text`): exactly one identity, matching its comment if any. */
export async function parseAgeIdentityFile(text: string, path: string): Promise<AgeKeyPair> {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const keys = lines.filter((line) => line !== '' && !line.startsWith('#'));
  if (keys.length !== 1) {
    throw new EnvSyncError(
      'E_IDENTITY',
      `'${path}' should hold exactly one AGE-SECRET-KEY-1 line, but holds ${keys.length} key lines`,
    );
  }
  const pair = await ageKeyPairFromSecretKey(keys[0]!, `'${path}'`);
  const comment = lines.find((line) => line.startsWith('# public key: '));
  if (comment !== undefined && comment.slice('# public key: '.length) !== pair.recipient) {
    throw new EnvSyncError(
      'E_IDENTITY',
      `'${path}': the '# public key:' comment does not match the secret key below it; restore it from a backup`,
    );
  }
  return pair;
}
