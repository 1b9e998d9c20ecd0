// Backups (docs/identity.md#backup): one file holding an identity's key files and, if asked, a repository's
// `.env-sync/`, as a tar archive encrypted with an age passphrase (scrypt), so that the stock `age -d` and
// `tar` open it. Restoring writes the identity only where there is none, and marks it as restored until it
// has synced: a restored identity must not sign membership events on a tip older than its lost twin's.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EnvSyncError } from '../errors.ts';
import { DIR_MODE, FILE_MODE, TEMP_NAME } from '../store/fs-atomic.ts';
import { REPOSITORY_DIR } from '../store/repository.ts';
import type { Identity } from './identity.ts';
import { identityFiles } from './identity-files.ts';
import { loadIdentity } from './load-identity.ts';
import { ensurePrivateDirectory, shellQuote, writePrivateFileAtomic } from './private-files.ts';

const IDENTITY_ENTRY = 'identity';
const REPOSITORY_ENTRY = 'repository';
/**
 * The identity's files, in the order they are restored: the keys kept from before a rotation (present only
 * after one) first, identity.json last, which marks it complete.
 */
const KEY_FILES = [
  'signing-retired.key',
  'age-retired.txt',
  'tls-retired.key',
  'tls-retired.crt',
  'signing.key',
  'age-identity.txt',
  'tls.key',
  'tls.crt',
  'identity.json',
];
const AFTER_ROTATION_ONLY = new Set([
  'signing-retired.key',
  'age-retired.txt',
  'tls-retired.key',
  'tls-retired.crt',
]);
/** In an identity home, the file that says the identity was restored and has not synced since. */
export const RESTORED_MARKER = 'restored.json';

/** Archives the identity in `home` (and `repositoryDir`'s `.env-sync/`) and encrypts it to `passphrase`. */
export async function createBackup(options: {
  readonly home: string;
  readonly repositoryDir: string | null;
  readonly passphrase: string;
}): Promise<Uint8Array> {
  await loadIdentity(options.home); // a damaged or loose identity is refused before it is copied
  const tar = await import('tar');
  // The archive's two roots are symbolic links in a private scratch directory, followed when packing, so
  // that no key file is copied anywhere else on the disk.
  const scratch = await fs.mkdtemp(path.join(path.dirname(path.resolve(options.home)), '.env-sync-backup-'));
  try {
    await fs.symlink(path.resolve(options.home), path.join(scratch, IDENTITY_ENTRY));
    const present = [];
    for (const file of KEY_FILES) {
      if (!AFTER_ROTATION_ONLY.has(file) || (await exists(path.join(options.home, file)))) present.push(file);
    }
    const roots = present.map((file) => `${IDENTITY_ENTRY}/${file}`);
    if (options.repositoryDir !== null) {
      await fs.symlink(
        path.resolve(options.repositoryDir, REPOSITORY_DIR),
        path.join(scratch, REPOSITORY_ENTRY),
      );
      roots.push(REPOSITORY_ENTRY);
    }
    const chunks: Buffer[] = [];
    const stream = tar.create(
      {
        cwd: scratch,
        follow: true,
        portable: true,
        // Leftovers of interrupted writes and held locks are not part of a repository.
        filter: (entry) => !TEMP_NAME.test(entry) && !entry.endsWith('.lock'),
      },
      roots,
    );
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const { Encrypter } = await import('age-encryption');
    const encrypter = new Encrypter();
    encrypter.setPassphrase(options.passphrase);
    return await encrypter.encrypt(Buffer.concat(chunks));
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Decrypts and unpacks a backup: the identity into `home` (refused if one is there), and the repository, if
 * the backup holds one and `repositoryDir` is given, into that directory (which must not hold one yet).
 */
export async function restoreBackup(
  bytes: Uint8Array,
  options: { readonly passphrase: string; readonly home: string; readonly repositoryDir: string | null },
): Promise<{ identity: Identity; repository: string | null }> {
  const { Decrypter } = await import('age-encryption');
  const decrypter = new Decrypter();
  decrypter.addPassphrase(options.passphrase);
  let archive: Uint8Array;
  try {
    archive = await decrypter.decrypt(bytes);
  } catch {
    throw new EnvSyncError(
      'E_BACKUP',
      'cannot decrypt the backup: wrong passphrase, or not an env-sync backup',
    );
  }
  const home = path.resolve(options.home);
  if (await exists(identityFiles(home).metadata)) {
    throw new EnvSyncError(
      'E_IDENTITY',
      `an identity already exists in ${shellQuote(home)}; restore into another ENV_SYNC_HOME, or move it aside`,
    );
  }
  await ensurePrivateDirectory(home);
  const unpacked = path.join(home, `.restore.tmp-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(unpacked, { mode: DIR_MODE });
  try {
    await unpack(archive, unpacked);
    const identityDir = path.join(unpacked, IDENTITY_ENTRY);
    // The unpacked identity is loaded whole (permissions, keys against identity.json) before any is installed.
    await loadIdentity(identityDir);
    const repository =
      options.repositoryDir !== null && (await exists(path.join(unpacked, REPOSITORY_ENTRY)))
        ? await placeRepository(path.join(unpacked, REPOSITORY_ENTRY), options.repositoryDir)
        : null;
    for (const file of KEY_FILES) {
      if (AFTER_ROTATION_ONLY.has(file) && !(await exists(path.join(identityDir, file)))) continue;
      await writePrivateFileAtomic(path.join(home, file), await fs.readFile(path.join(identityDir, file)));
    }
    await writePrivateFileAtomic(
      path.join(home, RESTORED_MARKER),
      `${JSON.stringify({ restoredAt: new Date().toISOString() })}\n`,
    );
    return { identity: await loadIdentity(home), repository };
  } finally {
    await fs.rm(unpacked, { recursive: true, force: true });
  }
}

/** Whether the identity in `home` was restored from a backup and has not synced since. */
export async function isRestoredUnsynced(home: string): Promise<boolean> {
  return exists(path.join(home, RESTORED_MARKER));
}

/** A sync brought the group's latest events: the restored identity may sign again. */
export async function clearRestoredMarker(home: string): Promise<void> {
  await fs.rm(path.join(home, RESTORED_MARKER), { force: true });
}

/** Extracts the archive with owner-only modes; node-tar refuses absolute paths and `..` (strict). */
async function unpack(archive: Uint8Array, into: string): Promise<void> {
  const tar = await import('tar');
  const extract = tar.extract({
    cwd: into,
    strict: true,
    preserveOwner: false,
    fmode: FILE_MODE,
    dmode: DIR_MODE,
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('error', reject);
    extract.on('close', resolve);
    extract.end(Buffer.from(archive));
  }).catch(() => {
    throw new EnvSyncError('E_BACKUP', 'the backup decrypts but its archive is damaged');
  });
  for (const entry of await fs.readdir(into)) {
    if (entry !== IDENTITY_ENTRY && entry !== REPOSITORY_ENTRY)
      throw new EnvSyncError('E_BACKUP', `the backup holds an unexpected entry '${entry.slice(0, 40)}'`);
  }
}

/** Moves the unpacked `.env-sync/` into `target` (a project directory, say), which must not hold one. */
async function placeRepository(unpacked: string, target: string): Promise<string> {
  const dir = path.resolve(target);
  if (await exists(path.join(dir, REPOSITORY_DIR)))
    throw new EnvSyncError('E_REPOSITORY_EXISTS', `'${dir}' already holds a repository (${REPOSITORY_DIR}/)`);
  await fs.mkdir(dir, { recursive: true });
  await fs.rename(unpacked, path.join(dir, REPOSITORY_DIR));
  return dir;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
