// The age keys an identity held before its rotations (docs/identity.md#key-rotation): `age-retired.txt`, an age
// identity file with one key per entry, kept so that snapshots sealed before a rotation stay readable.

import { EnvSyncError } from '../errors.ts';
import { type AgeKeyPair, ageKeyPairFromSecretKey } from './age-identity-file.ts';

/** A retired age key and when it was retired (RFC 3339). */
export interface RetiredAgeKey extends AgeKeyPair {
  readonly retiredAt: string;
}

const RETIRED_PREFIX = '# retired: ';

/** The file text: `age -d -i age-retired.txt` reads it as it reads age-keygen's files. */
export function formatRetiredAgeKeys(keys: readonly RetiredAgeKey[]): string {
  return keys
    .map((key) => `${RETIRED_PREFIX}${key.retiredAt}\n# public key: ${key.recipient}\n${key.secretKey}\n`)
    .join('');
}

/** Parses the file at `path` (read as `text`): every AGE-SECRET-KEY-1 line, each after its `# retired:` line. */
export async function parseRetiredAgeKeys(text: string, path: string): Promise<RetiredAgeKey[]> {
  const keys: RetiredAgeKey[] = [];
  let retiredAt: string | null = null;
  for (const line of text.split(/\r?\n/).map((entry) => entry.trim())) {
    if (line.startsWith(RETIRED_PREFIX)) retiredAt = line.slice(RETIRED_PREFIX.length);
    if (line === '' || line.startsWith('#')) continue;
    if (retiredAt === null) {
      throw new EnvSyncError('E_IDENTITY', `'${path}' has a key without its '# retired:' line`);
    }
    keys.push({ ...(await ageKeyPairFromSecretKey(line, `'${path}'`)), retiredAt });
    retiredAt = null;
  }
  return keys;
}
