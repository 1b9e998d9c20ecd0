// `.env-sync/members-tips`: tips of membership branches that lost a fork (docs/membership.md#storage), one
// event id per line. The membership code writes it; sync offers the tips; both read it here.

import path from 'node:path';
import { readFileOrNull } from '../store/fs-atomic.ts';
import { isObjectId, type ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';

export const FORK_TIPS_FILE = 'members-tips';

/** Held tips of losing membership branches (ids not held, repeats and malformed lines are skipped). */
export async function memberForkTips(repo: Repository): Promise<ObjectId[]> {
  const bytes = await readFileOrNull(path.join(repo.dir, FORK_TIPS_FILE));
  if (bytes === null) return [];
  const tips: ObjectId[] = [];
  for (const line of bytes.toString('utf8').split('\n')) {
    if (isObjectId(line) && !tips.includes(line) && (await repo.objects.has(line))) tips.push(line);
  }
  return tips;
}
