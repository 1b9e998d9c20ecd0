// Creates a new identity (Ed25519, age X25519, TLS key and certificate) in its 0700 home directory, once:
// existing keys are never replaced. Several processes may race to create one; a lock file decides.

import { stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { EnvSyncError } from '../errors.ts';
import { fsyncDirectory } from '../store/fs-atomic.ts';
import { LockFile } from '../store/lockfile.ts';
import { formatAgeIdentityFile, generateAgeKeyPair } from './age-identity-file.ts';
import { certificateFingerprint } from './certificate-fingerprint.ts';
import { SigningKey } from './ed25519.ts';
import { Identity } from './identity.ts';
import { IdentityMissingError, identityFiles } from './identity-files.ts';
import { encodeIdentityMetadata, validateIdentityName } from './identity-metadata.ts';
import { loadIdentity } from './load-identity.ts';
import { peerIdFromPublicKey } from './peer-id.ts';
import { ensurePrivateDirectory, ioError, shellQuote, writePrivateFileAtomic } from './private-files.ts';
import { createTlsCredentials } from './tls-certificate.ts';

export interface CreateIdentityOptions {
  /** Shown to other peers; default `user@hostname`. */
  name?: string;
}

/** `user@hostname`, the name a new identity gets unless another is chosen. */
export function defaultIdentityName(): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.LOGNAME; // containers without a passwd entry
  }
  return `${user || 'user'}@${hostname() || 'localhost'}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? false : Promise.reject(ioError('read', path, error)),
  );
}

/** Makes a new identity in `home`; refuses if any identity file is already there (keys are never replaced). */
export async function createIdentity(home: string, options: CreateIdentityOptions = {}): Promise<Identity> {
  const dir = resolve(home);
  const name = validateIdentityName(options.name ?? defaultIdentityName());
  await ensurePrivateDirectory(dir);
  const release = await lockIdentity(dir);
  try {
    return await createLocked(dir, name);
  } finally {
    await release();
  }
}

async function createLocked(dir: string, name: string): Promise<Identity> {
  const files = identityFiles(dir);
  if (await exists(files.metadata)) {
    throw new IdentityExistsError(dir);
  }
  const leftovers = [files.signingKey, files.ageIdentityFile, files.tlsKey, files.tlsCertificate];
  for (const path of leftovers) {
    if (await exists(path)) {
      throw new EnvSyncError(
        'E_IDENTITY',
        `${shellQuote(path)} exists but identity.json does not (an interrupted identity init?); ` +
          'move the key files aside, then run `env-sync identity init` again',
      );
    }
  }
  const createdAt = new Date();
  const signingKey = SigningKey.generate();
  const peerId = peerIdFromPublicKey(signingKey.publicKey);
  const [age, tls] = await Promise.all([generateAgeKeyPair(), createTlsCredentials(peerId)]);
  const fingerprint = certificateFingerprint(tls.certificatePem);
  const createdAtText = createdAt.toISOString();
  await writePrivateFileAtomic(files.signingKey, signingKey.toPkcs8Pem());
  await writePrivateFileAtomic(files.ageIdentityFile, formatAgeIdentityFile(age, createdAt));
  await writePrivateFileAtomic(files.tlsKey, tls.keyPem);
  await writePrivateFileAtomic(files.tlsCertificate, tls.certificatePem);
  const metadata = encodeIdentityMetadata({
    version: 1,
    name,
    createdAt: createdAtText,
    peerId,
    signingPublicKey: Buffer.from(signingKey.publicKey).toString('hex'),
    ageRecipient: age.recipient,
    certificateFingerprint: fingerprint,
  });
  await writePrivateFileAtomic(files.metadata, metadata); // last: the identity now exists
  return new Identity({
    home: dir,
    name,
    createdAt: createdAtText,
    peerId,
    signingKey,
    ageRecipient: age.recipient,
    ageSecretKey: age.secretKey,
    tlsKeyPem: tls.keyPem,
    certificatePem: tls.certificatePem,
    certificateFingerprint: fingerprint,
    files,
  });
}

class IdentityExistsError extends EnvSyncError {
  constructor(dir: string) {
    super(
      'E_IDENTITY',
      `an identity already exists in ${shellQuote(dir)}; keys are never overwritten (move the directory aside to start over)`,
    );
  }
}

/**
 * Holds `identity.lock` while the key files are written: another process creating an identity in the same home
 * is waited for, and a lock left by a killed one is taken over (the same lock protocol as refs).
 */
async function lockIdentity(dir: string): Promise<() => Promise<void>> {
  const lock = await LockFile.acquire(join(dir, 'identity'), 'the identity');
  return async () => {
    await lock.release();
    await fsyncDirectory(dir);
  };
}

/** Loads the identity in `home`, creating it first if there is none (several processes may race here). */
export async function loadOrCreateIdentity(
  home: string,
  options: CreateIdentityOptions = {},
): Promise<Identity> {
  try {
    return await loadIdentity(home);
  } catch (error) {
    if (!(error instanceof IdentityMissingError)) throw error;
  }
  try {
    return await createIdentity(home, options);
  } catch (error) {
    // Another process created it while this one waited for the lock: load that identity.
    if (!(error instanceof IdentityExistsError)) throw error;
    return await loadIdentity(home);
  }
}
