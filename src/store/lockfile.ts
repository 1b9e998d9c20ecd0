// `<file>.lock` held through O_EXCL creation: the lock holder writes the new content into the lock file,
// fsyncs it and renames it over the target (git's lockfile protocol). A stale lock is reported, never stolen.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EnvSyncError } from '../errors.ts';
import { FILE_MODE, fsyncDirectory } from './fs-atomic.ts';

export class LockFile {
  readonly #target: string;
  readonly #lockPath: string;
  #handle: fs.FileHandle | null;
  /** The lock file holds the new content, fsynced and closed (`write`), and waits for `commit`. */
  #written = false;
  /**
   * The lock file on disk is this lock's until it is renamed over the target or removed: whatever failed
   * before (a write, an fsync, the rename), release removes it, or every later update would be refused.
   */
  #owned = true;

  private constructor(target: string, handle: fs.FileHandle) {
    this.#target = target;
    this.#lockPath = `${target}.lock`;
    this.#handle = handle;
  }

  /** Takes the lock or fails at once with E_REF_LOCKED naming `what`. */
  static async acquire(target: string, what: string): Promise<LockFile> {
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    try {
      return new LockFile(target, await fs.open(`${target}.lock`, 'wx', FILE_MODE));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new EnvSyncError(
          'E_REF_LOCKED',
          `${what} is locked by another process ('${target}.lock' exists; remove it if no env-sync is running)`,
        );
      }
      throw error;
    }
  }

  /** Writes the new content into the lock file and fsyncs it; `commit` then puts it in place. */
  async write(content: string | Uint8Array): Promise<void> {
    const handle = this.#take();
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.#written = true;
  }

  /** Renames the written lock file over the target and fsyncs the directory. */
  async commit(): Promise<void> {
    if (!this.#written) throw new Error('lock file not written');
    this.#written = false;
    await fs.rename(this.#lockPath, this.#target);
    this.#owned = false;
    await fsyncDirectory(path.dirname(this.#target));
  }

  /** Deletes the target under the lock, then releases. */
  async commitDelete(): Promise<void> {
    await this.#take().close();
    await fs.rm(this.#target, { force: true });
    await fs.rm(this.#lockPath, { force: true });
    this.#owned = false;
    await fsyncDirectory(path.dirname(this.#target));
  }

  /** Gives the lock up without changing the target (a no-op after commit). */
  async release(): Promise<void> {
    if (this.#handle !== null) await this.#take().close();
    this.#written = false;
    if (!this.#owned) return;
    this.#owned = false;
    await fs.rm(this.#lockPath, { force: true });
  }

  #take(): fs.FileHandle {
    const handle = this.#handle;
    if (handle === null) throw new Error('lock already committed or released');
    this.#handle = null;
    return handle;
  }
}
