// Where a clone is built: a hidden directory beside the target, renamed onto it only once the clone is complete,
// so that a failed, interrupted or killed clone never leaves a directory that looks like a repository. The
// leftover of a clone killed outright names its process (`.<target>.clone-<pid>-<hex>`), and the next clone
// beside it removes it once that process is gone (docs/repository-layout.md#clone).

import { randomBytes } from 'node:crypto';
import { promises as fs, rmSync } from 'node:fs';
import path from 'node:path';
import { EnvSyncError } from '../errors.ts';
import { notice } from '../notices.ts';
import { DIR_MODE } from '../store/fs-atomic.ts';
import { isProcessRunning } from '../store/lockfile.ts';

export interface CloneDirectory {
  /** The directory the clone is built in. */
  readonly building: string;
  /** Puts the finished clone at the target. */
  finish(): Promise<void>;
  /** Removes what was built; safe to call more than once, and from a signal handler. */
  abandon(): void;
}

/**
 * Checks that `target` does not exist or is an empty directory, removes leftovers of killed clones to it, and
 * makes the hidden directory to build in.
 */
export async function startCloneDirectory(target: string): Promise<CloneDirectory> {
  const existing = await fs.readdir(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    if (error.code === 'ENOTDIR')
      throw new EnvSyncError('E_REPOSITORY_EXISTS', `'${target}' already exists and is not a directory`);
    throw error;
  });
  if (existing !== null && existing.length > 0) {
    throw new EnvSyncError('E_REPOSITORY_EXISTS', `'${target}' already exists and is not empty`);
  }
  const parent = path.dirname(target);
  await fs.mkdir(parent, { recursive: true });
  await removeLeftovers(parent, path.basename(target));
  const building = path.join(
    parent,
    `${leftoverPrefix(path.basename(target))}${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  await fs.mkdir(building, { mode: DIR_MODE });
  let done = false;
  return {
    building,
    async finish() {
      // An empty target directory is replaced (rename(2) does that only for an empty one).
      if (existing !== null) await fs.rmdir(target);
      await fs.rename(building, target);
      done = true;
    },
    abandon() {
      if (!done) rmSync(building, { recursive: true, force: true });
      done = true;
    },
  };
}

function leftoverPrefix(name: string): string {
  return `.${name}.clone-`;
}

/** Removes `.<name>.clone-<pid>-<hex>` directories whose process no longer runs. */
async function removeLeftovers(parent: string, name: string): Promise<void> {
  const prefix = leftoverPrefix(name);
  for (const entry of await fs.readdir(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-[0-9a-f]+$/.exec(entry.slice(prefix.length))?.[1]);
    if (!Number.isSafeInteger(pid) || isProcessRunning(pid)) continue;
    await fs.rm(path.join(parent, entry), { recursive: true, force: true });
    notice(`removed '${path.join(parent, entry)}', left by an interrupted clone`);
  }
}
