// `<file>.lock` held through O_EXCL creation: the lock holder writes the new content into the lock file,
// fsyncs it and renames it over the target (git's lockfile protocol). Until then the lock file names its
// holder (pid, host, start time), so that a writer that finds it waits for a live holder and takes over from
// one that is gone (docs/repository-layout.md#locks).

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nowSeconds } from '../clock.ts';
import { EnvSyncError } from '../errors.ts';
import { notice } from '../notices.ts';
import { FILE_MODE, fsyncDirectory, makeDirectory, withPath } from './fs-atomic.ts';

/** How long a writer waits for a live holder before it gives up (`core.lockTimeout` in seconds overrides). */
export const DEFAULT_LOCK_WAIT_MS = 10_000;
/** A waiting writer says so after this long. */
const ANNOUNCE_AFTER_MS = 1_000;
/**
 * A lock file that names no holder was cut off while being created or after its new content was written; a
 * live holder renames it within milliseconds of either, so one this old is a crash's leftover.
 */
const UNNAMED_STALE_MS = 5_000;
const HOLDER_LINE = /^env-sync lock pid=(\d+) host=(\S+) started=(\d+)\n$/;

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly started: number;
}

/** What a lock file on disk says about its holder: named, or unnamed with the file's age. */
type Found =
  | { readonly holder: Holder; readonly text: string }
  | { readonly holder: null; readonly text: string; readonly ageMs: number };

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

  /**
   * Takes the lock. A live holder is waited for, up to `waitMs` (with a notice after a second); a holder
   * that is gone (same host, no such process) is taken over with a notice. Fails with E_REF_LOCKED naming
   * `what` and the holder when the wait runs out.
   */
  static async acquire(target: string, what: string, waitMs = DEFAULT_LOCK_WAIT_MS): Promise<LockFile> {
    await makeDirectory(path.dirname(target));
    const lockPath = `${target}.lock`;
    const started = Date.now();
    let announced = false;
    for (let attempt = 0; ; attempt++) {
      const handle = await createExclusive(lockPath);
      if (handle !== null) return new LockFile(target, handle);
      const found = await readLock(lockPath);
      if (found === null) continue; // released meanwhile
      if (isStale(found)) {
        if (await takeOver(lockPath, found.text))
          notice(`took over the lock of ${what}, ${describeStale(found)}`);
        continue;
      }
      const waited = Date.now() - started;
      if (waited >= waitMs) throw lockedError(what, lockPath, found, waited);
      if (!announced && waited >= ANNOUNCE_AFTER_MS) {
        announced = true;
        notice(`waiting for ${what}, locked by ${describeHolder(found)}`);
      }
      await sleep(Math.min(10 * 2 ** Math.min(attempt, 4), 100));
    }
  }

  /** Writes the new content into the lock file and fsyncs it; `commit` then puts it in place. */
  async write(content: string | Uint8Array): Promise<void> {
    const handle = this.#take();
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      await handle.truncate(0);
      await handle.write(bytes, 0, bytes.length, 0);
      await handle.sync();
    } catch (error) {
      throw withPath(error, this.#lockPath);
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

/** What `fsck` says of a lock file it finds: who holds it, or that the next writer takes it over. */
export async function describeLockFile(lockPath: string): Promise<string> {
  const found = await readLock(lockPath);
  if (found === null) return 'lock file, released meanwhile';
  if (isStale(found)) return `stale lock, ${describeStale(found)}; the next update takes it over`;
  return `lock held by ${describeHolder(found)}`;
}

/** Creates the lock file naming this process as its holder; null when it exists already. */
async function createExclusive(lockPath: string): Promise<fs.FileHandle | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(lockPath, 'wx', FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw error;
  }
  try {
    await handle.write(`env-sync lock pid=${process.pid} host=${os.hostname()} started=${nowSeconds()}\n`);
  } catch (error) {
    await handle.close();
    await fs.rm(lockPath, { force: true });
    throw error;
  }
  return handle;
}

async function readLock(lockPath: string): Promise<Found | null> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    const match = HOLDER_LINE.exec(text);
    if (match === null) return { holder: null, text, ageMs: Date.now() - stat.mtimeMs };
    return { holder: { pid: Number(match[1]), host: match[2]!, started: Number(match[3]) }, text };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Gone: its holder was a process of this host that no longer runs, or it names nobody and is old. */
function isStale(found: Found): boolean {
  if (found.holder === null) return found.ageMs >= UNNAMED_STALE_MS;
  return found.holder.host === os.hostname() && !isRunning(found.holder.pid);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes a stale lock file, unless another writer took it over and made a new one meanwhile: the file is
 * moved aside first and put back if it is not the one judged stale. True when this call removed it.
 */
async function takeOver(lockPath: string, staleText: string): Promise<boolean> {
  const aside = `${lockPath}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const text = await fs.readFile(aside, 'utf8');
  if (text !== staleText) {
    await fs.link(aside, lockPath).catch(() => {});
    await fs.rm(aside, { force: true });
    return false;
  }
  await fs.rm(aside, { force: true });
  return true;
}

function describeHolder(found: Found): string {
  if (found.holder === null) return 'an env-sync process that is writing it';
  const { pid, host, started } = found.holder;
  const since = new Date(started * 1000).toISOString().replace('.000Z', 'Z');
  return `env-sync process ${pid}${host === os.hostname() ? '' : ` on ${host}`} since ${since}`;
}

function describeStale(found: Found): string {
  if (found.holder === null) return 'left by an interrupted write';
  return `left by process ${found.holder.pid}, which is no longer running`;
}

function lockedError(what: string, lockPath: string, found: Found, waitedMs: number): EnvSyncError {
  const seconds = Math.round(waitedMs / 1000);
  // A holder on this host is known to be running: its lock must not be removed. One on another host (a shared
  // file system) cannot be checked from here.
  const hint =
    found.holder !== null && found.holder.host !== os.hostname()
      ? `; if that process is gone, remove '${lockPath}'`
      : '';
  return new EnvSyncError(
    'E_REF_LOCKED',
    `${what} is locked by ${describeHolder(found)}; gave up after ${seconds} s${hint}`,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
