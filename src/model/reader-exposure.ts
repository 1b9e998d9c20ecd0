// Which key names a reader could decrypt: every age snapshot reachable from a branch whose recipients include
// it. Used when revoking a peer, so the user knows which values to rotate. Reads key names only, never values.

import type { ObjectId } from '../store/object-id.ts';
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
    const seen = new Set<ObjectId>();
    const stack = [ref.id];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const commit = await repo.objects.readTyped(id, 'commit');
      stack.push(...commit.parents);
      const snapshot = await repo.objects.readTyped(commit.snapshot, 'snapshot');
      if (snapshot.encoding === 'age' && snapshot.recipients.includes(ageRecipient)) {
        for (const key of snapshot.keys) keys.add(key);
      }
    }
    if (keys.size > 0) result.push({ env: environmentOf(ref.name), keys: [...keys].sort() });
  }
  return result;
}
