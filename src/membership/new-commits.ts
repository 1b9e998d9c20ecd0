// Which commits a receive brought: those reachable from the received tips and not from any local branch or
// remote-tracking ref. Local history was accepted before (fetched through the commit checks, or made here), so
// only these are checked against the chain (commit-authorization.ts).
//
// Both sides are walked together, newest commit first, and the walk ends once no commit left to visit is
// reachable from the received tips alone, as git's `rev-list <new> --not --all` does: it reads the new commits
// and the local ones dated after the oldest of them, not the whole history (a walk of 0.35 s at 10,000 commits).
//
// Sound whatever the dates: a commit counts as held only when the walk reached it from a local tip, so every
// new commit is returned. Dates only decide how soon the walk ends. When a parent is dated after its child
// (clock skew), a held commit can be visited from the new side before the local side reaches it, and be
// returned too. It was accepted before, possibly before a revocation that would refuse it now: a caller that
// finds a returned commit it would refuse asks walkLocalHistory, the whole walk, whether it is new.

import type { ObjectId } from '../store/object-id.ts';
import type { CommitObject } from '../store/objects.ts';
import type { Repository } from '../store/repository.ts';

interface Found {
  readonly id: ObjectId;
  readonly commit: CommitObject;
}

/** A commit to visit, and whether it was queued as reached from a local tip. */
interface Entry extends Found {
  readonly held: boolean;
}

/** The commits reachable from `tips` and not from a local ref, as the walk met them (newest first, by date). */
export async function newCommits(repo: Repository, tips: readonly ObjectId[]): Promise<Found[]> {
  const local = await repo.refs.commitTips();
  const localTips = new Set(local);
  if (tips.every((id) => localTips.has(id))) return [];

  /** true: reached from a local tip (held); false: reached from the new tips only, so far. */
  const held = new Map<ObjectId, boolean>();
  const read = new Map<ObjectId, CommitObject>();
  const queue = new NewestFirst();
  let newQueued = 0; // queued entries not known to be held: the walk goes on while there are any
  const visitedNew = new Map<ObjectId, CommitObject>();

  const reach = async (id: ObjectId, fromLocal: boolean): Promise<void> => {
    const before = held.get(id);
    if (before === true || (before === false && !fromLocal)) return;
    held.set(id, fromLocal);
    let commit = read.get(id);
    if (commit === undefined) {
      commit = await repo.objects.readTyped(id, 'commit');
      read.set(id, commit);
    }
    // Known to be held now: its entry as new, if still queued, is skipped; this one marks its ancestors.
    if (before === false && !visitedNew.has(id)) newQueued--;
    queue.push({ id, commit, held: fromLocal });
    if (!fromLocal) newQueued++;
  };

  for (const id of local) await reach(id, true);
  for (const id of tips) await reach(id, false);
  while (newQueued > 0) {
    const { id, commit, held: fromLocal } = queue.pop()!;
    if (!fromLocal) {
      if (held.get(id) === true) continue;
      newQueued--;
      visitedNew.set(id, commit);
    }
    for (const parent of commit.parents) await reach(parent, fromLocal);
  }
  return [...visitedNew].filter(([id]) => held.get(id) === false).map(([id, commit]) => ({ id, commit }));
}

/**
 * A binary heap of commits to visit, newest first; at the same date, those reached from a local tip first,
 * so that with dates that never go back from parent to child a held commit is known as held before it is
 * visited as new.
 */
class NewestFirst {
  readonly #heap: Entry[] = [];

  push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    for (let at = heap.length - 1; at > 0; ) {
      const up = (at - 1) >> 1;
      if (!before(entry, heap[up]!)) break;
      heap[at] = heap[up]!;
      heap[up] = entry;
      at = up;
    }
  }

  pop(): Entry | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    for (let at = 0; ; ) {
      const left = 2 * at + 1;
      const right = left + 1;
      let first = at;
      if (left < heap.length && before(heap[left]!, heap[first]!)) first = left;
      if (right < heap.length && before(heap[right]!, heap[first]!)) first = right;
      if (first === at) break;
      heap[at] = heap[first]!;
      heap[first] = last;
      at = first;
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.commit.time !== b.commit.time ? a.commit.time > b.commit.time : a.held && !b.held;
}
