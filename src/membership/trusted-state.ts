// What this machine last verified of a repository's membership chain, kept in the identity home (outside the
// repository, so whoever can write `.env-sync/` cannot change it): the canonical tip and losing-branch tips it
// verified, and the registry there (docs/membership.md#trusted-state). It serves two rules: a chain that no
// longer holds the verified tip is a rollback, refused; and while refs still name exactly the verified tips,
// the registry is read from here instead of re-verifying every event.

import { createHash } from 'node:crypto';
import { readdir, readFile, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { usingCiCredential } from '../crypto/ci-credential.ts';
import { defaultIdentityHome } from '../crypto/identity-home.ts';
import { ensurePrivateDirectory, writePrivateFileAtomic } from '../crypto/private-files.ts';
import { EnvSyncError } from '../errors.ts';
import { readFileOrNull } from '../store/fs-atomic.ts';
import { isObjectId, type ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { Registry, type RegistrySnapshot } from './registry.ts';

export interface TrustedState {
  readonly tip: ObjectId;
  /** Losing-branch tips, sorted. */
  readonly forks: readonly ObjectId[];
  readonly registry: Registry;
}

const VERSION = 1;

/**
 * The record's file: one per repository directory. Not keyed by the group: `core.group` is in the repository's
 * config, and whoever can write that must not get a fresh record by naming another group. Null: none is kept.
 */
async function recordFile(repo: Repository): Promise<string | null> {
  // A CI credential reads where there may be no identity home: nothing is kept, the chain is verified each time.
  if (usingCiCredential()) return null;
  const where = await realpath(repo.dir).catch(() => path.resolve(repo.dir));
  const key = createHash('sha256').update(where).digest('hex').slice(0, 40);
  return path.join(defaultIdentityHome(process.env), 'repositories', `${key}.json`);
}

/** The last verified state, or null when this machine never verified this repository's chain. */
export async function readTrustedState(repo: Repository): Promise<TrustedState | null> {
  const file = await recordFile(repo);
  if (file === null) return null;
  const bytes = await readFileOrNull(file);
  if (bytes === null) return null;
  try {
    const data = JSON.parse(bytes.toString('utf8')) as {
      version: number;
      group: string;
      tip: string;
      forks: string[];
      registry: RegistrySnapshot;
    };
    if (data.version !== VERSION || !isObjectId(data.tip)) return null;
    if (data.group !== repo.group) {
      throw new EnvSyncError(
        'E_MEMBERS_ROLLBACK',
        `${repo.dir}: this machine verified this repository as group ${String(data.group).slice(0, 12)}, but its config now names group ${repo.group.slice(0, 12)}; the configuration or the chain was replaced, refusing (if you replaced the repository yourself, remove ${file})`,
      );
    }
    if (!Array.isArray(data.forks) || !data.forks.every(isObjectId)) return null;
    return { tip: data.tip, forks: data.forks, registry: Registry.fromSnapshot(data.registry) };
  } catch (error) {
    if (error instanceof EnvSyncError) throw error;
    // Written only by this program, atomically: unreadable means damaged; it is recomputed and rewritten.
    return null;
  }
}

export async function writeTrustedState(repo: Repository, state: TrustedState): Promise<void> {
  const file = await recordFile(repo);
  if (file === null) return;
  await ensurePrivateDirectory(path.dirname(path.dirname(file)));
  await ensurePrivateDirectory(path.dirname(file));
  const data = {
    version: VERSION,
    group: repo.group,
    repository: path.resolve(repo.dir),
    tip: state.tip,
    forks: [...state.forks].sort(),
    registry: state.registry.snapshot(),
  };
  await writePrivateFileAtomic(file, `${JSON.stringify(data)}\n`);
}

/**
 * Forgets what was verified at this repository's path: only for a repository being created there (init, or
 * the first events of a clone), which replaces whatever repository was there before.
 */
export async function forgetTrustedState(repo: Repository): Promise<void> {
  const file = await recordFile(repo);
  if (file !== null) await rm(file, { force: true });
}

/**
 * Carries what was verified for `repo` to the path `move` renames it to (a clone is built beside its target,
 * then renamed onto it): the record is keyed by path.
 */
export async function moveTrustedState(repo: Repository, move: () => Promise<Repository>): Promise<void> {
  const state = await readTrustedState(repo);
  await forgetTrustedState(repo);
  const moved = await move();
  if (state !== null) await writeTrustedState(moved, state);
}

/**
 * The work trees of the repositories this machine has verified a chain of (each record names its
 * `.env-sync/`): the groups an identity rotation must reach. Records that cannot be read are skipped.
 */
export async function recordedRepositories(home: string): Promise<string[]> {
  const dir = path.join(home, 'repositories');
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: string[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.json')).sort()) {
    try {
      const data = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as { repository?: unknown };
      if (typeof data.repository === 'string') found.push(path.dirname(data.repository));
    } catch {
      // Damaged or removed meanwhile: that repository re-verifies its chain when next used.
    }
  }
  return found;
}
