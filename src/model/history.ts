// An environment's history: its commits newest first, each with the keys it added, changed or removed
// relative to its first parent. Values are read (through the session's codec) only to compare them.

import type { ObjectId } from '../store/object-id.ts';
import type { CommitObject } from '../store/objects.ts';
import { diffEntries, type EntryDiff } from './diff.ts';
import { commitKeys, readableEntries, type Session } from './environment.ts';
import type { Entries } from './snapshot-codec.ts';

export interface HistoryEntry {
  readonly id: ObjectId;
  readonly commit: CommitObject;
  readonly diff: EntryDiff;
  /** True when this peer cannot read the values on one side: `diff` then holds added and removed keys only. */
  readonly namesOnly: boolean;
}

export interface HistoryOptions {
  /** Only commits that touched this key. */
  readonly key?: string | undefined;
  /** Stop after this many entries. */
  readonly limit?: number | undefined;
}

const EMPTY: Entries = new Map();

/**
 * Walks every commit reachable from `head` (all parents, each once), newest first by time, never a parent
 * before one of its children (git's --date-order: commits made in the same second stay in order), ties
 * broken by id so the order is stable. A merge is compared with its first parent.
 */
export async function readHistory(
  session: Session,
  head: ObjectId,
  options: HistoryOptions = {},
): Promise<HistoryEntry[]> {
  const commits = await reachableCommits(session, head);
  const children = new Map<ObjectId, number>();
  for (const commit of commits.values()) {
    for (const parent of new Set(commit.parents)) children.set(parent, (children.get(parent) ?? 0) + 1);
  }
  const entriesCache = new Map<ObjectId, Entries | null>();
  const entriesOf = async (id: ObjectId): Promise<Entries | null> => {
    let entries = entriesCache.get(id);
    if (entries === undefined) {
      entries = await readableEntries(session, commits.get(id)!);
      entriesCache.set(id, entries);
    }
    return entries;
  };
  // Key names are stored in the clear: a peer that cannot read a side still sees keys come and go.
  const namesOf = async (id: ObjectId | undefined): Promise<Entries> =>
    id === undefined ? EMPTY : new Map((await commitKeys(session, commits.get(id)!)).map((key) => [key, '']));

  const result: HistoryEntry[] = [];
  const ready: ObjectId[] = [head];
  while (ready.length > 0 && (options.limit === undefined || result.length < options.limit)) {
    ready.sort((a, b) => commits.get(a)!.time - commits.get(b)!.time || (a < b ? -1 : 1));
    const id = ready.pop()!;
    const commit = commits.get(id)!;
    for (const parent of new Set(commit.parents)) {
      const left = children.get(parent)! - 1;
      children.set(parent, left);
      if (left === 0) ready.push(parent);
    }
    const first = commit.parents[0];
    const before = first === undefined ? EMPTY : await entriesOf(first);
    const after = await entriesOf(id);
    const namesOnly = before === null || after === null;
    const diff = namesOnly
      ? diffEntries(await namesOf(first), await namesOf(id))
      : diffEntries(before, after);
    if (options.key !== undefined && !touches(diff, options.key)) continue;
    result.push({ id, commit, diff, namesOnly });
  }
  return result;
}

async function reachableCommits(session: Session, head: ObjectId): Promise<Map<ObjectId, CommitObject>> {
  const commits = new Map<ObjectId, CommitObject>();
  const pending = [head];
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (commits.has(id)) continue;
    const commit = await session.repo.objects.readTyped(id, 'commit');
    commits.set(id, commit);
    pending.push(...commit.parents);
  }
  return commits;
}

function touches(diff: EntryDiff, key: string): boolean {
  return diff.added.includes(key) || diff.changed.includes(key) || diff.removed.includes(key);
}
