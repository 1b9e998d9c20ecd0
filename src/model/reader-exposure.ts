// Which key names a reader could decrypt: every age snapshot reachable from a branch whose recipients include
// it. Used when revoking a peer, so the user knows which values to rotate, and by `rotation status`, which
// compares those snapshots with the heads.

import type { ObjectId } from '../store/object-id.ts';
import type { AgeSnapshot } from '../store/objects.ts';
import { environmentOf } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';

export interface ExposedKeys {
  readonly env: string;
  readonly keys: readonly string[];
}

/** Per environment (branch), the sorted key names in any snapshot of its history sealed to `ageRecipient`. */
export async function keysReadableBy(repo: Repository, ageRecipient: string): Promise<ExposedKeys[]> {
  const result: ExposedKeys[] = [];
  for (const ref of await repo.refs.list('refs/heads/')) {
    const keys = new Set<string>();
    for await (const { snapshot } of snapshotsSealedTo(repo, ref.id, ageRecipient)) {
      for (const key of snapshot.keys) keys.add(key);
    }
    if (keys.size > 0) result.push({ env: environmentOf(ref.name), keys: [...keys].sort() });
  }
  return result;
}

/** Every distinct age snapshot in the history of `head` (all parents) sealed to `ageRecipient`, with its id. */
export async function* snapshotsSealedTo(
  repo: Repository,
  head: ObjectId,
  ageRecipient: string,
): AsyncGenerator<{ readonly id: ObjectId; readonly snapshot: AgeSnapshot }> {
  const seen = new Set<ObjectId>();
  const sealed = new Set<ObjectId>();
  const stack = [head];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const commit = await repo.objects.readTyped(id, 'commit');
    stack.push(...commit.parents);
    if (sealed.has(commit.snapshot)) continue;
    const snapshot = await repo.objects.readTyped(commit.snapshot, 'snapshot');
    if (snapshot.encoding === 'age' && snapshot.recipients.includes(ageRecipient)) {
      sealed.add(commit.snapshot);
      yield { id: commit.snapshot, snapshot };
    }
  }
}
