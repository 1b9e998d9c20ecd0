// One change to an environment: compute the next key → value map, commit it with a message naming the keys,
// or commit nothing when no value differs (as `git commit` does with a clean tree).

import { isEnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import { branchRef } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { describeChange } from './commit-message.ts';
import { diffEntries, type EntryDiff, isEmptyDiff } from './diff.ts';
import { commitEnvironment, type EnvironmentState, type Session } from './environment.ts';
import { readExistingEnvironment } from './environment-lifecycle.ts';
import type { Entries } from './snapshot-codec.ts';

export interface ChangeResult {
  readonly diff: EntryDiff;
  /** Null when nothing changed and so nothing was committed. */
  readonly commit: ObjectId | null;
  readonly message: string | null;
}

export interface ChangeOptions {
  /** The user's `-m`; otherwise a message naming the keys is generated. */
  readonly message?: string | undefined;
  /** Prefix of a generated message, e.g. `Import .env`. */
  readonly subject?: string | undefined;
}

export async function applyChange(
  session: Session,
  state: EnvironmentState,
  next: Entries,
  options: ChangeOptions = {},
): Promise<ChangeResult> {
  const diff = diffEntries(state.entries, next);
  if (isEmptyDiff(diff)) return { diff, commit: null, message: null };
  const message = options.message ?? describeChange(diff, options.subject);
  const commit = await commitEnvironment(session, state, { entries: next, message });
  return { diff, commit, message };
}

/**
 * Reads `env`, derives its next values from them and commits; when another writer moved the branch between
 * the read and the compare-and-swap, does it all again on the new head, so that two writers of different keys
 * both commit and neither undoes the other (`next` may throw to refuse, on any attempt).
 */
export async function changeEnvironment(
  session: Session,
  env: string,
  next: (state: EnvironmentState) => Entries,
  options: ChangeOptions = {},
): Promise<ChangeResult> {
  return retryWhenBranchMoves(session.repo, branchRef(env), async () => {
    const state = await readExistingEnvironment(session, env);
    return applyChange(session, state, next(state), options);
  });
}

/** How many times a command derives its change again after losing a race for its branch. */
const MAX_ATTEMPTS = 50;

/**
 * Runs `attempt`, which reads the branch `ref` and moves it by compare-and-swap, again while it fails because
 * another writer moved the branch in between; any other failure (or one with the branch where it was) is final.
 */
export async function retryWhenBranchMoves<T>(
  repo: Repository,
  ref: string,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    const before = await repo.refs.read(ref);
    try {
      return await attempt();
    } catch (error) {
      if (!isEnvSyncError(error, 'E_REF_CONFLICT') || tries >= MAX_ATTEMPTS) throw error;
      if ((await repo.refs.read(ref)) === before) throw error;
    }
  }
}

/** `state.entries` with `updates` laid over it. */
export function mergeEntries(base: Entries, updates: Entries): Map<string, string> {
  const next = new Map(base);
  for (const [key, value] of updates) next.set(key, value);
  return next;
}
