// Replacing an identity's keys (docs/identity.md#key-rotation) in two steps a crash can stop anywhere: the new
// identity is made whole in `rotation/` inside the home first, then copied over the home's files, the old
// age key kept in age-retired.txt before anything is replaced. Both steps can be run again to finish.

import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvSyncError, isEnvSyncError } from '../errors.ts';
import { parseAgeIdentityFile } from './age-identity-file.ts';
import { createIdentity } from './create-identity.ts';
import type { Identity } from './identity.ts';
import { identityFiles } from './identity-files.ts';
import { loadIdentity } from './load-identity.ts';
import { writePrivateFileAtomic } from './private-files.ts';
import { formatRetiredAgeKeys, parseRetiredAgeKeys, type RetiredAgeKey } from './retired-age-keys.ts';

/** Where the next identity waits, inside the home, until it replaces the current one. */
export function rotationHome(home: string): string {
  return join(home, 'rotation');
}

/** The staged next identity, or null when no rotation is under way. */
export async function stagedIdentity(home: string): Promise<Identity | null> {
  const staged = rotationHome(home);
  const complete = await stat(identityFiles(staged).metadata).then(
    () => true,
    () => false,
  );
  return complete ? loadIdentity(staged) : null;
}

/** The next identity of `current`: the one already staged (an interrupted rotation), or a new one. */
export async function stageRotation(current: Identity): Promise<Identity> {
  const staged = await stagedIdentity(current.home);
  if (staged !== null) return staged;
  // Key files without identity.json: a staging a crash cut short, never used for anything. Start again.
  await rm(rotationHome(current.home), { recursive: true, force: true });
  return createIdentity(rotationHome(current.home), { name: current.name });
}

/**
 * Makes the staged identity the home's: the current age key goes to age-retired.txt first, then every key
 * file is replaced, identity.json last; the staging directory is removed at the end. Returns the new identity.
 */
export async function installRotation(home: string, now: Date): Promise<Identity> {
  const next = await stagedIdentity(home);
  if (next === null) throw new EnvSyncError('E_IDENTITY', 'no key rotation is under way');
  const files = identityFiles(home);
  const retired = await readRetired(files.retiredAgeKeys);
  const currentAge = await readCurrentAgeKey(files.ageIdentityFile);
  if (
    currentAge.recipient !== next.ageRecipient &&
    !retired.some((key) => key.recipient === currentAge.recipient)
  ) {
    const retiredAt = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    await writePrivateFileAtomic(
      files.retiredAgeKeys,
      formatRetiredAgeKeys([{ ...currentAge, retiredAt }, ...retired]),
    );
  }
  const staged = identityFiles(rotationHome(home));
  const currentSigning = await readFile(files.signingKey);
  if (!currentSigning.equals(await readFile(staged.signingKey))) {
    await writePrivateFileAtomic(files.retiredSigningKey, currentSigning);
    await writePrivateFileAtomic(files.retiredTlsKey, await readFile(files.tlsKey));
    await writePrivateFileAtomic(files.retiredTlsCertificate, await readFile(files.tlsCertificate));
  }
  for (const file of ['signingKey', 'tlsKey', 'tlsCertificate', 'ageIdentityFile', 'metadata'] as const) {
    await writePrivateFileAtomic(files[file], await readFile(staged[file]));
  }
  await rm(rotationHome(home), { recursive: true, force: true });
  return loadIdentity(home);
}

async function readRetired(path: string): Promise<RetiredAgeKey[]> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) =>
    error.code === 'ENOENT' ? '' : Promise.reject(error),
  );
  return parseRetiredAgeKeys(text, path);
}

async function readCurrentAgeKey(path: string) {
  try {
    return await parseAgeIdentityFile(await readFile(path, 'utf8'), path);
  } catch (error) {
    if (isEnvSyncError(error)) throw error;
    throw new EnvSyncError('E_IDENTITY', `cannot read ${path} to retire its key`);
  }
}
