// Owner-only files and directories for key material: atomic 0600 writes into a 0700 directory, and the
// OpenSSH-style refusal to use key files that others can read or write.

import type { Stats } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { EnvSyncError } from '../errors.ts';
import { FILE_MODE, POSIX, writeFileAtomic } from '../store/fs-atomic.ts';

export function shellQuote(path: string): string {
  return `'${path.replace(/'/g, "'\\''")}'`;
}

export function ioError(action: string, path: string, error: unknown): EnvSyncError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  return new EnvSyncError('E_IO', `cannot ${action} ${shellQuote(path)}: ${code}`, { cause: error });
}

function tooOpen(path: string, stats: Stats, wanted: '600' | '700'): EnvSyncError {
  const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
  const where = shellQuote(path);
  return new EnvSyncError(
    'E_KEY_PERMISSIONS',
    `permissions ${mode} for ${where} are too open; run chmod ${wanted} ${where}`,
  );
}

function checkOwner(path: string, stats: Stats): void {
  const uid = process.getuid?.();
  if (POSIX && uid !== undefined && stats.uid !== uid) {
    throw new EnvSyncError(
      'E_KEY_PERMISSIONS',
      `${shellQuote(path)} belongs to uid ${stats.uid}, not to you (uid ${uid}); run chown ${uid} ${shellQuote(path)}`,
    );
  }
}

/**
 * Refuses a key file others can use: `secret` files (private keys) must deny group and other any access;
 * `public` files (certificate, metadata) must deny them writing, since a swapped one would mislead peers.
 */
export function assertPrivateFile(path: string, stats: Stats, kind: 'secret' | 'public'): void {
  if (!stats.isFile()) throw new EnvSyncError('E_IDENTITY', `${shellQuote(path)} is not a regular file`);
  checkOwner(path, stats);
  if (POSIX && (stats.mode & (kind === 'secret' ? 0o077 : 0o022)) !== 0) throw tooOpen(path, stats, '600');
}

export function assertPrivateDirectory(path: string, stats: Stats): void {
  if (!stats.isDirectory()) throw new EnvSyncError('E_IDENTITY', `${shellQuote(path)} is not a directory`);
  checkOwner(path, stats);
  if (POSIX && (stats.mode & 0o077) !== 0) throw tooOpen(path, stats, '700');
}

/** Creates `dir` (and missing parents) as 0700, or checks an existing one is owner-only. */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  try {
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (created !== undefined && POSIX) await chmod(dir, 0o700); // exactly 0700, whatever the umask
  } catch (error) {
    throw ioError('create directory', dir, error);
  }
  assertPrivateDirectory(dir, await stat(dir));
}

/** Writes `data` to `path` as exactly 0600 so a crash leaves the old file or the new one, never a mix. */
export async function writePrivateFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, data, FILE_MODE, { exactMode: true });
  } catch (error) {
    throw ioError('write', path, error);
  }
}
