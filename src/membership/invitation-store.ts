// The inviter's open and used invitations: `.env-sync/invitations.json` (0600), JSON, only hashes of secrets.
// Changed under `invitations.json.lock` (serve spends one while `peer invite` may add another).

import path from 'node:path';
import { EnvSyncError } from '../errors.ts';
import { readFileOrNull } from '../store/fs-atomic.ts';
import { LockFile } from '../store/lockfile.ts';
import type { Repository } from '../store/repository.ts';
import type { InvitationRecord } from './invitation.ts';

const FILE = 'invitations.json';

export async function readInvitations(repo: Repository): Promise<InvitationRecord[]> {
  const file = path.join(repo.dir, FILE);
  const bytes = await readFileOrNull(file);
  if (bytes === null) return [];
  try {
    const json = JSON.parse(bytes.toString('utf8')) as { invitations: InvitationRecord[] };
    if (!Array.isArray(json.invitations)) throw new Error('no list');
    return json.invitations;
  } catch {
    throw new EnvSyncError('E_CONFIG', `${file} is not a valid invitations file`);
  }
}

/**
 * Runs `change` over the records under the lock (waiting for another env-sync that holds it, as a join being
 * recorded) and writes what it returns. What `change` throws leaves the file unchanged.
 */
export async function updateInvitations<T>(
  repo: Repository,
  change: (records: InvitationRecord[]) => Promise<{ records: InvitationRecord[]; result: T }>,
): Promise<T> {
  const lock = await LockFile.acquire(path.join(repo.dir, FILE), 'the invitations file');
  try {
    const { records, result } = await change(await readInvitations(repo));
    await lock.write(`${JSON.stringify({ invitations: records }, null, 2)}\n`);
    await lock.commit();
    return result;
  } finally {
    await lock.release();
  }
}
