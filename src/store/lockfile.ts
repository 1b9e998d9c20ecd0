// `<file>.lock` held through exclusive creation, git's lockfile protocol with one change: the lock file only
// names its holder (pid, host, start time) and the new content goes to a temp file renamed over the target,
// so a lock on disk always says whose it is. A writer that finds a lock waits for a live holder and takes over
// from one that is gone (docs/repository-layout.md#locks).

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nowSeconds } from '../clock.ts';
import { EnvSyncError } from '../errors.ts';
import { notice } from '../notices.ts';
import { FILE_MODE, fsyncDirectory, makeDirectory, tempPath, withPath } from './fs-atomic.ts';

/** How long a writer waits for a live holder before it gives up (`core.lockTimeout` in seconds overrides). */
export const DEFAULT_LOCK_WAIT_MS = 10_000;
/** A waiting writer says so after this long. */
const ANNOUNCE_AFTER_MS = 1_000;
/** A lock file that names no holder is no lock this version made: taken over once it is this old. */
const UNNAMED_STALE_MS = 5_000;
const HOLDER_LINE = /^env-sync lock pid=(\d+) host=(\S+) started=(\d+) token=[0-9a-f]+\n$/;

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
  /** This lock's line in the lock file: checked before the target is replaced. */
  readonly #holderLine: string;
  /** The temp file holding the new content, fsynced, once `write` is done; renamed over the target by `commit`. */
  #written: string | null = null;
  /** The lock file is this lock's until commit or release removes it. */
  #owned = true;

  private constructor(target: string, holderLine: string) {
    this.#target = target;
    this.#lockPath = `${target}.lock`;
    this.#holderLine = holderLine;
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
      const holderLine = await createExclusive(lockPath);
      if (holderLine !== null) return new LockFile(target, holderLine);
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

  /** Writes the new content into a temp file beside the target and fsyncs it; `commit` then puts it in place. */
  async write(content: string | Uint8Array): Promise<void> {
    if (!this.#owned || this.#written !== null)
      throw new Error('lock already written, committed or released');
    const temp = tempPath(this.#target);
    const handle = await fs.open(temp, 'wx', FILE_MODE);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw withPath(error, temp);
    }
    await handle.close();
    this.#written = temp;
  }

  /** Renames the written content over the target, fsyncs the directory, and removes the lock. */
  async commit(): Promise<void> {
    const temp = this.#written;
    if (temp === null) throw new Error('lock file not written');
    await this.#checkStillHeld();
    await fs.rename(temp, this.#target);
    this.#written = null;
    await fsyncDirectory(path.dirname(this.#target));
    await this.release();
  }

  /** Deletes the target under the lock, then releases. */
  async commitDelete(): Promise<void> {
    await this.#checkStillHeld();
    await fs.rm(this.#target, { force: true });
    await fsyncDirectory(path.dirname(this.#target));
    await this.release();
  }

  /** Gives the lock up without changing the target (what commit leaves is only the lock file). */
  async release(): Promise<void> {
    if (this.#written !== null) await fs.rm(this.#written, { force: true });
    this.#written = null;
    if (!this.#owned) return;
    this.#owned = false;
    await fs.rm(this.#lockPath, { force: true });
  }

  /** The lock file still names this lock: nothing took it over while this process was stalled. */
  async #checkStillHeld(): Promise<void> {
    const text = await fs.readFile(this.#lockPath, 'utf8').catch(() => null);
    if (text !== this.#holderLine) {
      this.#owned = false;
      throw new EnvSyncError(
        'E_REF_LOCKED',
        `the lock of ${path.basename(this.#target)} was taken over by another process; nothing changed`,
      );
    }
  }
}

/** What `fsck` says of a lock file it finds: who holds it, or that the next writer takes it over. */
export async function describeLockFile(lockPath: string): Promise<string> {
  const found = await readLock(lockPath);
  if (found === null) return 'lock file, released meanwhile';
  if (isStale(found)) return `stale lock, ${describeStale(found)}; the next update takes it over`;
  return `lock held by ${describeHolder(found)}`;
}

/**
 * Creates the lock file already holding the line that names this process, by linking a temp file to the lock's
 * name (which fails if it exists): there is never an empty lock. Returns that line; null when the lock exists.
 */
async function createExclusive(lockPath: string): Promise<string | null> {
  const token = randomBytes(8).toString('hex');
  const line = `env-sync lock pid=${process.pid} host=${os.hostname()} started=${nowSeconds()} token=${token}\n`;
  const temp = `${lockPath}.tmp-${token}`;
  await fs.writeFile(temp, line, { mode: FILE_MODE, flag: 'wx' });
  try {
    await fs.link(temp, lockPath);
    return line;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw error;
  } finally {
    await fs.rm(temp, { force: true });
  }
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
  return found.holder.host === os.hostname() && !isProcessRunning(found.holder.pid);
}

/** Whether a process of this host with that id runs (or exists but is not ours to signal). */
export function isProcessRunning(pid: number): boolean {
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
  const aside = tempPath(lockPath);
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
