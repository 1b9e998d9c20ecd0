// Undoing as new commits, never by moving a branch back: `revert` applies the inverse of one commit's
// changes (a three-way merge with base = the commit, theirs = its first parent, as git's revert), `restore`
// sets keys to their values at any revision. docs/environments.md#undo

import { EnvSyncError } from '../errors.ts';
import { shortId } from '../store/object-id.ts';
import { applyChange, type ChangeResult } from './apply-change.ts';
import { type EnvironmentState, readCommitEntries, readRevision, type Session } from './environment.ts';
import { baseLookup, mergeEntries } from './merge.ts';

/** A commit on `state`'s branch undoing the changes of `revision` against its first parent. */
export async function revertCommit(
  session: Session,
  state: EnvironmentState,
  revision: string,
  message?: string,
): Promise<ChangeResult> {
  const target = await readRevision(session, revision);
  const parent = target.commit.parents[0];
  const before =
    parent === undefined
      ? new Map<string, string>()
      : await readCommitEntries(session, await session.repo.objects.readTyped(parent, 'commit'));
  const undone = mergeEntries(baseLookup([target.entries]), state.entries, before);
  if (undone.conflicts.length > 0) {
    throw new EnvSyncError(
      'E_MERGE_CONFLICT',
      `cannot revert ${shortId(target.id)}: ${undone.conflicts.join(', ')} changed again since; nothing changed. ` +
        `Set them back with 'env-sync restore KEY --source ${shortId(target.id)}~1'`,
    );
  }
  const subject = target.commit.message.split('\n')[0] ?? '';
  return applyChange(session, state, undone.entries, {
    message: message ?? `Revert "${subject}"\n\nThis reverts commit ${target.id}.`,
  });
}

/** A commit on `state`'s branch giving `keys` the values they have at `revision` (removed where absent). */
export async function restoreKeys(
  session: Session,
  state: EnvironmentState,
  keys: readonly string[],
  revision: string,
  message?: string,
): Promise<ChangeResult> {
  const source = await readRevision(session, revision);
  const next = new Map(state.entries);
  for (const key of keys) {
    const value = source.entries.get(key);
    if (value === undefined) next.delete(key);
    else next.set(key, value);
  }
  return applyChange(session, state, next, {
    message: message ?? `Restore ${keys.join(', ')} from ${revision}`,
  });
}
