// History walks for negotiation: which objects the other side lacks (in dependency order, referenced objects
// first), and which commits to offer as haves. Pure reads over the object database.

import { EnvSyncError } from '../errors.ts';
import { memberForkTips } from '../membership/fork-tips.ts';
import { type ObjectId, shortId } from '../store/object-id.ts';
import { type Reference, referencesOf } from '../store/object-references.ts';
import type { ObjectType } from '../store/objects.ts';
import { MEMBERS_REF } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';

/**
 * Every object reachable from `wants` and not from `haves`, each after everything it refers to. The walk stops
 * at commits and events the other side has; snapshots and events those commits refer to are left out too.
 * Haves this repository does not hold are ignored (the other side may have history we lack).
 */
export async function objectsToSend(
  repo: Repository,
  wants: readonly ObjectId[],
  haves: readonly ObjectId[],
): Promise<ObjectId[]> {
  const objects = repo.objects;
  const excluded = new Set<ObjectId>();
  for (const have of haves) {
    if (excluded.has(have) || !(await objects.has(have))) continue;
    excluded.add(have);
    const object = await objects.read(have);
    if (object.type === 'commit') {
      for (const ref of referencesOf(object)) if (ref.type !== 'commit') excluded.add(ref.id);
    }
  }
  const order: ObjectId[] = [];
  const done = new Set<ObjectId>();
  const stack: { id: ObjectId; type: ObjectType | null; children: boolean }[] = [];
  for (const want of [...wants].reverse()) {
    if (!(await objects.has(want))) {
      throw new EnvSyncError('E_OBJECT_MISSING', `wanted object ${shortId(want)} is not in this repository`);
    }
    stack.push({ id: want, type: null, children: false });
  }
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (done.has(top.id) || excluded.has(top.id)) {
      stack.pop();
      continue;
    }
    // Snapshots refer to nothing: no need to read one before sending it.
    if (!top.children && top.type !== 'snapshot') {
      top.children = true;
      const refs = await referencesAt(repo, top.id, top.type);
      for (let i = refs.length - 1; i >= 0; i--) {
        const ref = refs[i]!;
        if (!done.has(ref.id) && !excluded.has(ref.id))
          stack.push({ id: ref.id, type: ref.type, children: false });
      }
      continue;
    }
    stack.pop();
    done.add(top.id);
    order.push(top.id);
  }
  return order;
}

/** What `id` refers to; the object must be of type `expected` when that is known. */
async function referencesAt(
  repo: Repository,
  id: ObjectId,
  expected: ObjectType | null,
): Promise<Reference[]> {
  return referencesOf(
    expected === null ? await repo.objects.read(id) : await repo.objects.readTyped(id, expected),
  );
}

const RECENT_HAVES = 8;
const MAX_HAVE_WALK = 128;
const MAX_HAVES = 256;

/**
 * Commits to offer as haves: every local branch and remote-tracking tip, its 8 most recent first-parent
 * ancestors, then ancestors at exponentially growing distances (16, 32, 64), plus the membership tips: the
 * canonical tip, the tips of losing branches, and the genesis (the group id), so the walk always meets them.
 */
export async function collectHaves(repo: Repository): Promise<ObjectId[]> {
  const haves = new Set<ObjectId>();
  const tips = await repo.refs.commitTips();
  for (const id of tips) haves.add(id);
  const walked = new Set<ObjectId>();
  for (const tip of tips) {
    if (walked.has(tip)) continue;
    walked.add(tip);
    let id: ObjectId | undefined = tip;
    let nextOffer = 1;
    for (let depth = 0; id !== undefined && haves.size < MAX_HAVES; depth++) {
      if (depth === nextOffer) {
        haves.add(id);
        nextOffer = depth < RECENT_HAVES ? depth + 1 : depth * 2;
        // Reading past the last ancestor offered (depth 64) would offer nothing more.
        if (nextOffer >= MAX_HAVE_WALK) break;
      }
      const object = await repo.objects.read(id);
      id = object.type === 'commit' ? object.parents[0] : undefined;
    }
  }
  const members = await repo.refs.read(MEMBERS_REF);
  if (members !== null) {
    haves.add(members);
    for (const fork of await memberForkTips(repo)) haves.add(fork);
    if (await repo.objects.has(repo.group)) haves.add(repo.group);
  }
  return [...haves];
}

/** True when `ancestor` is `descendant` or one of its ancestors. */
export async function isAncestor(
  repo: Repository,
  ancestor: ObjectId,
  descendant: ObjectId,
): Promise<boolean> {
  const seen = new Set<ObjectId>();
  const queue: ObjectId[] = [descendant];
  for (let next = 0; next < queue.length; next++) {
    const id = queue[next]!;
    if (id === ancestor) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    const commit = await repo.objects.readTyped(id, 'commit');
    queue.push(...commit.parents);
  }
  return false;
}
