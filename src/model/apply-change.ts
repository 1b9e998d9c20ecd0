// One change to an environment: compute the next key → value map, commit it with a message naming the keys,
// or commit nothing when no value differs (as `git commit` does with a clean tree).

import type { ObjectId } from '../store/object-id.ts';
import { describeChange } from './commit-message.ts';
import { diffEntries, type EntryDiff, isEmptyDiff } from './diff.ts';
import { commitEnvironment, type EnvironmentState, type Session } from './environment.ts';
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

/** `state.entries` with `updates` laid over it. */
export function mergeEntries(base: Entries, updates: Entries): Map<string, string> {
  const next = new Map(base);
  for (const [key, value] of updates) next.set(key, value);
  return next;
}
