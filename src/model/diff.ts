// Comparing two key → value maps: which keys were added, removed or changed. Only key names leave this
// module; values are compared, never copied into the result.

import type { Entries } from './snapshot-codec.ts';

export interface EntryDiff {
  /** Keys in `after` only, sorted. */
  readonly added: readonly string[];
  /** Keys in `before` only, sorted. */
  readonly removed: readonly string[];
  /** Keys in both with different values, sorted. */
  readonly changed: readonly string[];
}

export function diffEntries(before: Entries, after: Entries): EntryDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [key, value] of after) {
    const old = before.get(key);
    if (old === undefined) added.push(key);
    else if (old !== value) changed.push(key);
  }
  for (const key of before.keys()) if (!after.has(key)) removed.push(key);
  return {
    added: added.sort(byCodeUnit),
    removed: removed.sort(byCodeUnit),
    changed: changed.sort(byCodeUnit),
  };
}

export function isEmptyDiff(diff: EntryDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}

export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
