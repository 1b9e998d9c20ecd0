// Generated commit messages: they name the keys a change touched, never a value, and stay short however
// many keys changed (the full list is always recoverable by diffing the snapshots: see `history`).

import { type EntryDiff, isEmptyDiff } from './diff.ts';

/** Keys named in a message before the rest are counted: `add A, B, C and 7 more`. */
const MAX_NAMED_KEYS = 10;

/**
 * `Add API_KEY`, `Change A, B; remove C`, or with a subject `Import .env: add 3 keys …`.
 * The first clause is capitalised so the message reads like git's.
 */
export function describeChange(diff: EntryDiff, subject?: string): string {
  const clauses: string[] = [];
  if (diff.added.length > 0) clauses.push(`add ${nameKeys(diff.added)}`);
  if (diff.changed.length > 0) clauses.push(`change ${nameKeys(diff.changed)}`);
  if (diff.removed.length > 0) clauses.push(`remove ${nameKeys(diff.removed)}`);
  if (isEmptyDiff(diff)) clauses.push('no changes');
  const body = clauses.join('; ');
  return subject === undefined ? capitalise(body) : `${subject}: ${body}`;
}

function nameKeys(keys: readonly string[]): string {
  if (keys.length <= MAX_NAMED_KEYS) return keys.join(', ');
  const rest = keys.length - MAX_NAMED_KEYS;
  return `${keys.slice(0, MAX_NAMED_KEYS).join(', ')} and ${rest} more`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
