// An environment's history: its commits newest first, each with the keys it added, changed or removed
// relative to its first parent. Values are read (through the session's codec) only to compare them.

import type { ObjectId } from '../store/object-id.ts';
import type { CommitObject } from '../store/objects.ts';
import { diffEntries, type EntryDiff } from './diff.ts';
import { readCommitEntries, type Session } from './environment.ts';
import type { Entries } from './snapshot-codec.ts';

export interface HistoryEntry {
  readonly id: ObjectId;
  readonly commit: CommitObject;
  readonly diff: EntryDiff;
}

export interface HistoryOptions {
  /** Only commits that touched this key. */
  readonly key?: string | undefined;
  /** Stop after this many entries. */
  readonly limit?: number | undefined;
}

const EMPTY: Entries = new Map();

/**
 * Walks every commit reachable from `head` (all parents, each once), newest first by time, ties broken by
 * id so the order is stable. A merge commit is compared with its first parent, as `git log --first-parent -p`.
 */
export async function readHistory(
  session: Session,
  head: ObjectId,
  options: HistoryOptions = {},
): Promise<HistoryEntry[]> {
  const { objects } = session.repo;
  const entriesCache = new Map<ObjectId, Entries>();
  const entriesOf = async (id: ObjectId, commit: CommitObject): Promise<Entries> => {
    let entries = entriesCache.get(id);
    if (entries === undefined) {
      entries = await readCommitEntries(session, commit);
      entriesCache.set(id, entries);
    }
    return entries;
  };

  const result: HistoryEntry[] = [];
  const seen = new Set<ObjectId>([head]);
  const queue: { id: ObjectId; commit: CommitObject }[] = [
    { id: head, commit: await objects.readTyped(head, 'commit') },
  ];
  while (queue.length > 0 && (options.limit === undefined || result.length < options.limit)) {
    queue.sort((a, b) => b.commit.time - a.commit.time || (a.id < b.id ? 1 : -1));
    const { id, commit } = queue.shift()!;
    const parents: { id: ObjectId; commit: CommitObject }[] = [];
    for (const parent of commit.parents) {
      const parentCommit = await objects.readTyped(parent, 'commit');
      parents.push({ id: parent, commit: parentCommit });
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push({ id: parent, commit: parentCommit });
      }
    }
    const first = parents[0];
    const before = first === undefined ? EMPTY : await entriesOf(first.id, first.commit);
    const diff = diffEntries(before, await entriesOf(id, commit));
    if (options.key !== undefined && !touches(diff, options.key)) continue;
    result.push({ id, commit, diff });
  }
  return result;
}

function touches(diff: EntryDiff, key: string): boolean {
  return diff.added.includes(key) || diff.changed.includes(key) || diff.removed.includes(key);
}
