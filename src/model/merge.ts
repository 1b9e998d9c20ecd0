// Three-way merge of environments, per key, against the merge base (docs/protocol.md#merge): a key changed on
// one side takes that change, the same change on both sides is taken once, different changes conflict.

import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import { branchRef } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { commitEnvironment, readableEntries, readCommitEntries, type Session } from './environment.ts';
import { saveConflictRecord } from './merge-conflict-record.ts';
import type { Entries } from './snapshot-codec.ts';

export type Resolution = 'ours' | 'theirs';

/** A base value every merge base agrees on, `undefined` for "absent", or UNKNOWN when the bases disagree. */
export const UNKNOWN: unique symbol = Symbol('unknown base');
export type BaseValue = string | undefined | typeof UNKNOWN;

export interface MergeResult {
  readonly entries: Map<string, string>;
  /** Keys changed differently on both sides and left unresolved, sorted. */
  readonly conflicts: string[];
  /** Keys resolved by a resolution rule (were conflicts), sorted. */
  readonly resolved: string[];
  /** Keys whose merged value differs from ours, sorted. */
  readonly changed: string[];
}

/**
 * `base(key)` gives the base value. Unresolved conflicts keep our value in `entries`; callers must not commit
 * while `conflicts` is non-empty.
 */
export function mergeEntries(
  base: (key: string) => BaseValue,
  ours: Entries,
  theirs: Entries,
  resolve: (key: string) => Resolution | undefined = () => undefined,
): MergeResult {
  const entries = new Map<string, string>();
  const conflicts: string[] = [];
  const resolved: string[] = [];
  const changed: string[] = [];
  const keys = new Set([...ours.keys(), ...theirs.keys()]);
  for (const key of [...keys].sort()) {
    const o = ours.get(key);
    const t = theirs.get(key);
    const b = base(key);
    let value: string | undefined;
    if (o === t) value = o;
    else if (b !== UNKNOWN && b === o) value = t;
    else if (b !== UNKNOWN && b === t) value = o;
    else {
      const side = resolve(key);
      if (side === undefined) {
        conflicts.push(key);
        value = o;
      } else {
        resolved.push(key);
        value = side === 'ours' ? o : t;
      }
    }
    if (value !== undefined) entries.set(key, value);
    if (value !== o) changed.push(key);
  }
  return { entries, conflicts, resolved, changed };
}

/** The base lookup for a set of merge bases: a key's value where they all agree, UNKNOWN where they differ. */
export function baseLookup(bases: readonly Entries[]): (key: string) => BaseValue {
  return (key) => {
    if (bases.length === 0) return undefined;
    const first = bases[0]!.get(key);
    return bases.every((entries) => entries.get(key) === first) ? first : UNKNOWN;
  };
}

/**
 * Best common ancestors of two commits: common ancestors that are not ancestors of another common ancestor.
 * Usually one; several after criss-cross merges; none for unrelated histories.
 */
export async function findMergeBases(repo: Repository, a: ObjectId, b: ObjectId): Promise<ObjectId[]> {
  const fromA = await ancestors(repo, [a], new Set());
  const frontier: ObjectId[] = [];
  const seen = new Set<ObjectId>();
  const queue: ObjectId[] = [b];
  for (let next = 0; next < queue.length; next++) {
    const id = queue[next]!;
    if (seen.has(id)) continue;
    seen.add(id);
    if (fromA.has(id)) {
      frontier.push(id);
      continue;
    }
    queue.push(...(await parentsOf(repo, id)));
  }
  if (frontier.length <= 1) return frontier;
  const parentsOfFrontier: ObjectId[] = [];
  for (const id of frontier) parentsOfFrontier.push(...(await parentsOf(repo, id)));
  const below = await ancestors(repo, parentsOfFrontier, new Set());
  return frontier.filter((id) => !below.has(id)).sort();
}

async function ancestors(
  repo: Repository,
  starts: readonly ObjectId[],
  into: Set<ObjectId>,
): Promise<Set<ObjectId>> {
  const stack = [...starts];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (into.has(id)) continue;
    into.add(id);
    stack.push(...(await parentsOf(repo, id)));
  }
  return into;
}

async function parentsOf(repo: Repository, id: ObjectId): Promise<readonly ObjectId[]> {
  return (await repo.objects.readTyped(id, 'commit')).parents;
}

export function conflictError(target: string, source: string, conflicts: readonly string[]): EnvSyncError {
  const names =
    conflicts.slice(0, 20).join(', ') + (conflicts.length > 20 ? `, … (${conflicts.length} in all)` : '');
  return new EnvSyncError(
    'E_MERGE_CONFLICT',
    `merging ${source} into ${target}: ${conflicts.length} conflicting key(s): ${names}; ${target} was not changed. ` +
      finishMergeHint(target, source, conflicts),
  );
}

/** Which command shows both values and which one finishes the merge, for a message or `status`. */
export function finishMergeHint(target: string, source: string, conflicts: readonly string[]): string {
  const into = source.endsWith(`/${target}`) ? '' : ` --into ${target}`;
  return (
    `Compare with 'env-sync diff ${target} ${source} --show-values', then finish with ` +
    `'env-sync merge ${source}${into} --resolve ${conflicts[0] ?? 'KEY'}=ours|theirs' (one per key) or --ours/--theirs for all`
  );
}

export interface BranchMerge {
  readonly kind: 'up-to-date' | 'fast-forward' | 'created' | 'merged';
  readonly old: ObjectId | null;
  readonly new: ObjectId;
  /** Keys whose value changed on the branch (names only). */
  readonly changed: readonly string[];
  readonly resolved: readonly string[];
  /** A fast-forward from a head this peer could not read (sealed before it was a reader): `changed` holds every key. */
  readonly newlyReadable?: boolean;
}

/**
 * Merges commit `theirs` (named `source` in messages) into environment `env`: fast-forward when possible,
 * otherwise a merge commit with both parents. With unresolved conflicts nothing moves (E_MERGE_CONFLICT).
 */
export async function mergeIntoBranch(
  session: Session,
  env: string,
  theirs: ObjectId,
  source: string,
  resolve: (key: string) => Resolution | undefined,
): Promise<BranchMerge> {
  const { repo } = session;
  const ref = branchRef(env);
  const head = await repo.refs.read(ref);
  const reason = { peer: session.peerId, expected: head };
  const theirCommit = await repo.objects.readTyped(theirs, 'commit');
  if (head === null) {
    await repo.refs.update(ref, theirs, { ...reason, reason: `merge ${source}: created` });
    const entries = await readCommitEntries(session, theirCommit);
    return { kind: 'created', old: null, new: theirs, changed: [...entries.keys()], resolved: [] };
  }
  const bases = await findMergeBases(repo, head, theirs);
  if (bases.includes(theirs)) return { kind: 'up-to-date', old: head, new: head, changed: [], resolved: [] };
  const theirEntries = await readCommitEntries(session, theirCommit);
  const headCommit = await repo.objects.readTyped(head, 'commit');
  if (bases.includes(head)) {
    // A fast-forward needs our values only to name the changed keys: a peer approved since it cloned cannot
    // read its old head (sealed before it was a reader) and must still be able to move to the re-sealed one.
    const ours = await readableEntries(session, headCommit);
    const changed =
      ours === null
        ? [...theirEntries.keys()].sort()
        : mergeEntries(
            () => UNKNOWN,
            ours,
            theirEntries,
            () => 'theirs',
          ).changed;
    await repo.refs.update(ref, theirs, { ...reason, reason: `merge ${source}: fast-forward` });
    return {
      kind: 'fast-forward',
      old: head,
      new: theirs,
      changed,
      resolved: [],
      newlyReadable: ours === null,
    };
  }
  const state = { env, ref, head, commit: headCommit, entries: await readCommitEntries(session, headCommit) };
  const baseEntries: Entries[] = [];
  for (const base of bases)
    baseEntries.push(await readCommitEntries(session, await repo.objects.readTyped(base, 'commit')));
  const result = mergeEntries(baseLookup(baseEntries), state.entries, theirEntries, resolve);
  if (result.conflicts.length > 0) {
    await saveConflictRecord(repo, { env, source, ours: head, theirs, keys: result.conflicts });
    throw conflictError(env, source, result.conflicts);
  }
  const next = await commitEnvironment(session, state, {
    entries: result.entries,
    message: `Merge ${source} into ${env}`,
    parents: [state.head, theirs],
  });
  return { kind: 'merged', old: state.head, new: next, changed: result.changed, resolved: result.resolved };
}
