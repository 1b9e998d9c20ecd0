// Crash-safe file writes: temp file in the same directory, fsync, rename, fsync the directory.
// A process killed at any instant leaves either the old file or the new one, never a torn one.

import { randomBytes } from 'node:crypto';
import { closeSync, promises as fs, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Windows has no POSIX modes, nor directories to fsync; everything else does. */
export const POSIX = process.platform !== 'win32';
export const FILE_MODE = 0o600;
/** The name of a file being written, renamed into place when complete: `<name>.tmp-<hex>`. */
export const TEMP_NAME = /\.tmp-[0-9a-f]+$/;

export function tempPath(file: string): string {
  return `${file}.tmp-${randomBytes(6).toString('hex')}`;
}
export const DIR_MODE = 0o700;

/**
 * `durable: false` skips both fsyncs: the caller fsyncs the file and its directory later, before anything
 * refers to it (sync receives thousands of objects and syncs them in one batch before moving a ref).
 * `exactMode` sets `mode` even where the umask would narrow it (key files are exactly 0600).
 */
export async function writeFileAtomic(
  file: string,
  data: Uint8Array | string,
  mode = FILE_MODE,
  options: { readonly durable?: boolean; readonly exactMode?: boolean } = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const temp = tempPath(file);
  const handle = await fs.open(temp, 'wx', mode);
  try {
    if (options.exactMode && POSIX) await handle.chmod(mode); // not narrowed by the umask either
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw withPath(error, file);
  }
  await handle.close();
  try {
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  if (durable) await fsyncDirectory(path.dirname(file));
}

/**
 * writeFileAtomic with `durable: false`, in blocking calls: for many small files (a batch of objects) one
 * synchronous syscall costs a fraction of a round trip through libuv's thread pool (bench/store.mjs).
 */
export function writeFileAtomicUnsyncedSync(file: string, data: Uint8Array, mode = FILE_MODE): void {
  const temp = tempPath(file);
  const fd = openSync(temp, 'wx', mode);
  try {
    writeSync(fd, data);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw withPath(error, file);
  }
  closeSync(fd);
  try {
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** fsyncs an existing file (see writeFileAtomic's `durable`). */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename or creation in `dir` durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  if (!POSIX) return; // directories cannot be opened for fsync on Windows
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * `mkdir -p` with mode 0700. Node's recursive mkdir reports ENOENT for any failure to create the last
 * directory (a read-only file system, a full disk): the plain mkdir that follows gives the real cause.
 */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await fs.mkdir(dir, { mode: DIR_MODE }).catch((cause: NodeJS.ErrnoException) => {
      throw cause.code === 'EEXIST' ? error : cause;
    });
  }
}

/** An I/O error of a write on a file descriptor names no file: give it the file's path. */
export function withPath(error: unknown, file: string): unknown {
  const errno = error as NodeJS.ErrnoException;
  if (typeof errno?.code === 'string' && errno.path === undefined) errno.path = file;
  return error;
}

export async function readFileOrNull(file: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

export function isNotFound(error: unknown): boolean {
  return (
    (error as NodeJS.ErrnoException)?.code === 'ENOENT' ||
    (error as NodeJS.ErrnoException)?.code === 'ENOTDIR'
  );
}
