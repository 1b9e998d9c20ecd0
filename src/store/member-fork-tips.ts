// The membership tips sync offers: refs/members (the canonical tip) and the tips of branches that lost a fork,
// which src/membership/chain-store.ts lists in `.env-sync/members-tips` (docs/membership.md#storage). Read here
// as plain ids so that the protocol stays independent of the membership rules (docs/protocol.md#advertisement).

import path from 'node:path';
import { readFileOrNull } from '../store/fs-atomic.ts';
import { isObjectId, type ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';

/** The file chain-store.ts writes (TIPS_FILE there): one event id per line, advisory. */
const FORK_TIPS_FILE = 'members-tips';

/** Tips of losing membership branches this repository holds (ids not held, or malformed lines, are skipped). */
export async function memberForkTips(repo: Repository): Promise<ObjectId[]> {
  const bytes = await readFileOrNull(path.join(repo.dir, FORK_TIPS_FILE));
  if (bytes === null) return [];
  const tips: ObjectId[] = [];
  for (const line of bytes.toString('utf8').split('\n')) {
    if (isObjectId(line) && !tips.includes(line) && (await repo.objects.has(line))) tips.push(line);
  }
  return tips;
}
