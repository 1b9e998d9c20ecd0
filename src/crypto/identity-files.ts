// The files that make up an identity in its home directory, and the error for a home that has none.
// Formats and modes: docs/security-identity.md.

import { join, resolve } from 'node:path';
import { EnvSyncError } from '../errors.ts';
import type { IdentityFiles } from './identity.ts';
import { shellQuote } from './private-files.ts';

const INIT_HINT = 'run `env-sync identity init` to create one';

export function identityFiles(home: string): IdentityFiles {
  const dir = resolve(home);
  return {
    metadata: join(dir, 'identity.json'),
    signingKey: join(dir, 'signing.key'),
    retiredSigningKey: join(dir, 'signing-retired.key'),
    ageIdentityFile: join(dir, 'age-identity.txt'),
    retiredAgeKeys: join(dir, 'age-retired.txt'),
    tlsKey: join(dir, 'tls.key'),
    retiredTlsKey: join(dir, 'tls-retired.key'),
    retiredTlsCertificate: join(dir, 'tls-retired.crt'),
    tlsCertificate: join(dir, 'tls.crt'),
  };
}

/** No identity in this home yet (as opposed to a damaged or unreadable one). */
export class IdentityMissingError extends EnvSyncError {
  constructor(home: string) {
    super('E_IDENTITY', `no identity in ${shellQuote(home)}; ${INIT_HINT}`);
  }
}
