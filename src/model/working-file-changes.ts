// How the working file relates to its environment: the edits made in the file since it was checked out,
// what moved upstream since, and the three-way import that commits the edits without reverting anyone's.
// docs/environments.md#the-working-file

import { EnvSyncError, isEnvSyncError } from '../errors.ts';
import {
  applyChange,
  type ChangeOptions,
  type ChangeResult,
  mergeEntries as overlay,
} from './apply-change.ts';
import { diffEntries, type EntryDiff, isEmptyDiff } from './diff.ts';
import { type EnvironmentState, readCommitEntries, readEnvironment, type Session } from './environment.ts';
import { currentEnvironment } from './environment-lifecycle.ts';
import { baseLookup, mergeEntries, type Resolution } from './merge.ts';
import type { Entries } from './snapshot-codec.ts';
import {
  type CheckoutRecord,
  checkOutEnvironment,
  contentHash,
  parseNamed,
  readCheckoutRecord,
  readWorkingFileBytes,
  type WorkingFile,
  workingFile,
} from './working-file.ts';

export interface WorkingFileView {
  readonly file: WorkingFile;
  /** The environment as it is now. */
  readonly state: EnvironmentState;
  /** Where the file came from, when that is this environment; null otherwise. */
  readonly record: CheckoutRecord | null;
  /** Whether the file was ever checked out (from any environment). */
  readonly checkedOut: boolean;
  /** The file's values; null when it does not exist. */
  readonly current: Entries | null;
  /** Whether its bytes are exactly what the last checkout wrote. */
  readonly untouched: boolean;
  /** What the file is compared with: the commit it was checked out from, else the environment's head. */
  readonly base: Entries;
}

/** Reads the working file and what it is compared with in `state`'s environment. */
export async function viewWorkingFile(session: Session, state: EnvironmentState): Promise<WorkingFileView> {
  const file = workingFile(session.repo);
  const saved = await readCheckoutRecord(session.repo);
  const record = saved !== null && saved.env === state.env ? saved : null;
  const bytes = await readWorkingFileBytes(file);
  const untouched = bytes !== null && saved !== null && contentHash(bytes) === saved.written;
  const current = bytes === null ? null : parseNamed(bytes, file.name);
  // Usually the file was checked out at the head: its values are read already.
  const base =
    record === null || record.commit === state.head ? state.entries : await entriesAt(session, record.commit);
  return { file, state, record, checkedOut: saved !== null, current, untouched, base };
}

async function entriesAt(session: Session, commit: CheckoutRecord['commit']): Promise<Entries> {
  if (commit === null) return new Map();
  return readCommitEntries(session, await session.repo.objects.readTyped(commit, 'commit'));
}

/** Keys the file adds, changes or lacks compared with what it was checked out as. */
export function localEdits(view: WorkingFileView): EntryDiff {
  return diffEntries(view.base, view.current ?? view.base);
}

/** Keys the environment changed since the file was checked out from it (none when it was not). */
export function upstreamChanges(view: WorkingFileView): EntryDiff {
  return diffEntries(view.base, view.state.entries);
}

/** Keys changed in the file and upstream to different values: an import must be told which to keep. */
export function conflictingKeys(view: WorkingFileView): string[] {
  if (view.record === null || view.current === null) return [];
  return mergeEntries(baseLookup([view.base]), view.current, view.state.entries).conflicts;
}

/**
 * Whether overwriting the file could lose values no commit holds: false when it is missing, untouched since
 * checkout, equal to `target`, or holding no edit since its checkout.
 */
function hasUncommittedEdits(view: WorkingFileView, target: Entries): boolean {
  if (view.current === null || view.untouched) return false;
  if (same(view.current, target) || same(view.current, view.state.entries)) return false;
  return !(view.record !== null && same(view.current, view.base));
}

/**
 * Whether checking out `target` could lose edits, judged against the environment the file came from (the
 * current one before any checkout). A file that does not parse counts as edited.
 */
export async function workingFileHasEdits(session: Session, target: Entries): Promise<boolean> {
  const from = (await readCheckoutRecord(session.repo))?.env ?? (await currentEnvironment(session.repo));
  try {
    return hasUncommittedEdits(await viewWorkingFile(session, await readEnvironment(session, from)), target);
  } catch (error) {
    if (isEnvSyncError(error) && (error.code === 'E_DOTENV_PARSE' || error.code === 'E_KEY_NAME'))
      return true;
    throw error;
  }
}

function same(a: Entries, b: Entries): boolean {
  return isEmptyDiff(diffEntries(a, b));
}

export interface WorkingFileImport {
  readonly change: ChangeResult;
  /** Keys the file itself was updated with (teammates' changes merged in), sorted. */
  readonly updated: readonly string[];
}

/**
 * Commits the file's edits. Checked out from this environment: a three-way merge (base = the checkout commit,
 * ours = the file, theirs = the head), conflicts refused unless `how` picks a side (ours = the file); then
 * the file is brought up to the new head. Otherwise the file's keys are added or updated, nothing removed.
 * `replace` makes the environment exactly the file.
 */
export async function importWorkingFile(
  session: Session,
  view: WorkingFileView,
  how: 'replace' | ((key: string) => Resolution | undefined),
  options: ChangeOptions,
): Promise<WorkingFileImport> {
  const { file, state, current } = view;
  if (current === null) {
    throw new EnvSyncError(
      'E_IO',
      `no working file ${file.name}; nothing imported ('env-sync checkout' writes it)`,
    );
  }
  let next: Entries = overlay(state.entries, current);
  if (how === 'replace') next = current;
  else if (view.record !== null) {
    const merged = mergeEntries(baseLookup([view.base]), current, state.entries, how);
    if (merged.conflicts.length > 0) throw importConflict(file.name, state.env, merged.conflicts);
    next = merged.entries;
  }
  const change = await applyChange(session, state, next, options);
  if (view.record === null && view.checkedOut) return { change, updated: [] };
  await checkOutEnvironment(session, await readEnvironment(session, state.env));
  const updated = diffEntries(current, next);
  return { change, updated: [...updated.added, ...updated.changed, ...updated.removed].sort() };
}

function importConflict(name: string, env: string, conflicts: readonly string[]): EnvSyncError {
  const first = conflicts[0]!;
  return new EnvSyncError(
    'E_MERGE_CONFLICT',
    `${conflicts.length} key(s) changed both in ${name} and in ${env} since checkout: ${conflicts.join(', ')}; ` +
      `nothing changed. See both values with 'env-sync diff --show-values', then keep one with ` +
      `'env-sync import --resolve ${first}=ours' (${name}) or '--resolve ${first}=theirs' (${env}), or --ours/--theirs for all`,
  );
}
