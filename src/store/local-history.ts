// The history this repository holds as its own: every commit reachable from a branch or a remote-tracking
// ref. Commits outside it (left by a refused fetch, say) are stored but were never accepted.

import type { ObjectId } from './object-id.ts';
import type { CommitObject } from './objects.ts';
import type { Repository } from './repository.ts';

/**
 * Visits every commit reachable from a branch or remote-tracking ref once, depth first from the refs, and
 * returns their ids.
 */
export async function walkLocalHistory(
  repo: Repository,
  visit: (id: ObjectId, commit: CommitObject) => void | Promise<void> = () => {},
): Promise<Set<ObjectId>> {
  const seen = new Set<ObjectId>();
  const stack = await repo.refs.commitTips();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const commit = await repo.objects.readTyped(id, 'commit');
    await visit(id, commit);
    stack.push(...commit.parents);
  }
  return seen;
}
