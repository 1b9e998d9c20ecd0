// Secrets follow membership: in secure-peer a commit is accepted only if its author was approved at the
// membership event the commit names (docs/membership.md#commits). Sync calls this on fetch.

import { EnvSyncError } from '../errors.ts';
import { type ObjectId, shortId } from '../store/object-id.ts';
import type { CommitObject } from '../store/objects.ts';
import type { MemberTree } from './tree.ts';

/** Null when `commit` (named `id`) is authorized by `tree`; otherwise a one-line reason. */
export function commitAuthorizationProblem(
  tree: MemberTree,
  id: ObjectId,
  commit: CommitObject,
): string | null {
  const what = `commit ${shortId(id)}`;
  if (commit.members === null) return `${what} names no membership event`;
  if (!tree.has(commit.members)) return `${what} names membership event ${shortId(commit.members)}, not held`;
  const record = tree.stateAfter(commit.members).byPeerId(commit.author);
  if (record?.state !== 'approved') {
    return `${what}: its author ${commit.author.slice(0, 41)} was not approved at event ${shortId(commit.members)}`;
  }
  return null;
}

/** Throws E_EVENT_UNAUTHORIZED unless the commit is authorized. */
export function checkCommitAuthorized(tree: MemberTree, id: ObjectId, commit: CommitObject): void {
  const problem = commitAuthorizationProblem(tree, id, commit);
  if (problem !== null) throw new EnvSyncError('E_EVENT_UNAUTHORIZED', `${problem}; nothing was applied`);
}
