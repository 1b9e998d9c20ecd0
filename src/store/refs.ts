// Refs: files under refs/ holding one hex id, plus the symbolic HEAD. Every update is a compare-and-swap
// under `<ref>.lock`, its reflog line durable before the ref moves (git's update-ref semantics).

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { nowSeconds } from '../clock.ts';
import { EnvSyncError } from '../errors.ts';
import { isNotFound, readFileOrNull, writeFileAtomic } from './fs-atomic.ts';
import { DEFAULT_LOCK_WAIT_MS, LockFile } from './lockfile.ts';
import { isObjectId, type ObjectId, shortId } from './object-id.ts';
import { HEAD, isValidRefName, validateRefName } from './ref-names.ts';
import { appendReflog, type ReflogEntry, readReflog } from './reflog.ts';

export interface RefUpdate {
  /** Who moved it (peer id) and why: both go to the reflog. */
  readonly peer: string;
  readonly reason: string;
  /** Compare-and-swap: `undefined` skips the check, `null` requires that the ref does not exist. */
  readonly expected?: ObjectId | null | undefined;
}

export interface RefEntry {
  readonly name: string;
  readonly id: ObjectId;
}

export class RefStore {
  readonly #root: string;
  readonly #logsDir: string;
  /** How long an update waits for a ref lock another live process holds. */
  readonly #lockWaitMs: () => number;

  constructor(root: string, logsDir: string, lockWaitMs: () => number = () => DEFAULT_LOCK_WAIT_MS) {
    this.#root = root;
    this.#logsDir = logsDir;
    this.#lockWaitMs = lockWaitMs;
  }

  #file(name: string): string {
    return path.join(this.#root, validateRefName(name));
  }

  /** The ref HEAD points to (`refs/heads/main` by default). */
  async headTarget(): Promise<string> {
    const text = (await readFileOrNull(this.#file(HEAD)))?.toString('utf8');
    const match = text === undefined ? null : /^ref: (refs\/\S+)\n?$/.exec(text);
    if (match === null || !isValidRefName(match[1]!)) {
      throw new EnvSyncError(
        'E_REF_CORRUPT',
        'HEAD is missing or malformed (expected "ref: refs/heads/<env>")',
      );
    }
    return match[1]!;
  }

  async setHead(target: string): Promise<void> {
    validateRefName(target);
    await writeFileAtomic(this.#file(HEAD), `ref: ${target}\n`);
  }

  /** Resolves HEAD to its target; other names are returned as they are. */
  async resolveName(name: string): Promise<string> {
    return name === HEAD ? this.headTarget() : validateRefName(name);
  }

  /** The id a ref holds, or null when it does not exist. */
  async read(name: string): Promise<ObjectId | null> {
    const full = await this.resolveName(name);
    const bytes = await readFileOrNull(this.#file(full));
    if (bytes === null) return null;
    return parseRefContent(bytes.toString('utf8'), full);
  }

  async exists(name: string): Promise<boolean> {
    return (await this.read(name)) !== null;
  }

  /** Moves `name` to `next` if it still holds `expected`; exactly one of two racing updates wins. */
  async update(name: string, next: ObjectId, update: RefUpdate): Promise<void> {
    const full = await this.resolveName(name);
    const lock = await LockFile.acquire(this.#file(full), full, this.#lockWaitMs());
    try {
      const current = await this.read(full);
      checkExpected(full, current, update.expected);
      // The reflog line and the new content are written and fsynced side by side (one fsync's wait, not two);
      // the ref moves only once both are durable. Both settle before anything is reported or released.
      const written = await Promise.allSettled([
        appendReflog(this.#logsDir, full, {
          old: current,
          new: next,
          peer: update.peer,
          time: nowSeconds(),
          reason: update.reason,
        }),
        lock.write(`${next}\n`),
      ]);
      for (const step of written) if (step.status === 'rejected') throw step.reason;
      await lock.commit();
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  async delete(name: string, update: RefUpdate): Promise<void> {
    const full = await this.resolveName(name);
    const lock = await LockFile.acquire(this.#file(full), full, this.#lockWaitMs());
    try {
      const current = await this.read(full);
      if (current === null) throw new EnvSyncError('E_REF_CONFLICT', `${full} does not exist`);
      checkExpected(full, current, update.expected);
      await appendReflog(this.#logsDir, full, {
        old: current,
        new: null,
        peer: update.peer,
        time: nowSeconds(),
        reason: update.reason,
      });
      await lock.commitDelete();
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** The reflog of `name` (HEAD: of its target), oldest first. */
  async reflog(name: string): Promise<ReflogEntry[]> {
    return readReflog(this.#logsDir, await this.resolveName(name));
  }

  /** Ids of every branch and remote-tracking ref: the commits this repository holds as accepted. */
  async commitTips(): Promise<ObjectId[]> {
    return [...(await this.list('refs/heads/')), ...(await this.list('refs/remotes/'))].map((ref) => ref.id);
  }

  /** All refs under refs/ (not HEAD), sorted by name. Lock and temp files are skipped. */
  async list(prefix = 'refs/'): Promise<RefEntry[]> {
    const entries: RefEntry[] = [];
    const walk = async (dir: string, name: string): Promise<void> => {
      let children: import('node:fs').Dirent[];
      try {
        children = await fs.readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
      for (const child of children) {
        const childName = `${name}/${child.name}`;
        if (child.isDirectory()) await walk(path.join(dir, child.name), childName);
        else if (isValidRefName(childName) && childName.startsWith(prefix)) {
          const id = await this.read(childName);
          if (id !== null) entries.push({ name: childName, id });
        }
      }
    };
    await walk(path.join(this.#root, 'refs'), 'refs');
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

function parseRefContent(text: string, name: string): ObjectId {
  const hex = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (!isObjectId(hex)) throw new EnvSyncError('E_REF_CORRUPT', `ref ${name} is malformed`);
  return hex;
}

function checkExpected(name: string, current: ObjectId | null, expected: ObjectId | null | undefined): void {
  if (expected === undefined || expected === current) return;
  const has = current === null ? 'does not exist' : `is at ${shortId(current)}`;
  const wanted = expected === null ? 'not to exist' : `to be at ${shortId(expected)}`;
  throw new EnvSyncError('E_REF_CONFLICT', `${name} ${has}, expected it ${wanted}; nothing changed`);
}
