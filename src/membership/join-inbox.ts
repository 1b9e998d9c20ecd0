// Join requests that arrive over the network without an invitation (`clone --peer`): kept for an admin to
// review, one file per peer in `.env-sync/join-requests/` (the format `peer request` writes, approved with
// `peer approve <file>`). They are not events: nothing in the group changes until an admin approves one.

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { peerIdFromPublicKey } from '../crypto/peer-id.ts';
import { EnvSyncError } from '../errors.ts';
import { makeDirectory, writeFileAtomic } from '../store/fs-atomic.ts';
import type { Repository } from '../store/repository.ts';
import type { JoinRequest } from './event-format.ts';
import { joinRequestToJson } from './join-request.ts';

export const JOIN_INBOX = 'join-requests';
/** Requests waiting at once: strangers may send them, so their number is bounded. */
const MAX_WAITING = 32;

/** Writes `request` into the inbox (replacing an earlier one of the same peer); the file, relative to the work tree. */
export async function leaveJoinRequest(repo: Repository, request: JoinRequest): Promise<string> {
  const dir = path.join(repo.dir, JOIN_INBOX);
  await makeDirectory(dir);
  const name = `${peerIdFromPublicKey(request.key)}.json`;
  const waiting = (await readdir(dir)).filter((file) => file.endsWith('.json'));
  if (!waiting.includes(name) && waiting.length >= MAX_WAITING) {
    throw new EnvSyncError(
      'E_EVENT_UNAUTHORIZED',
      `${MAX_WAITING} join requests already wait for review on this server; ask its admin for an invitation`,
    );
  }
  const file = path.join(dir, name);
  await writeFileAtomic(file, `${JSON.stringify(joinRequestToJson(request), null, 2)}\n`);
  return path.relative(repo.workTree, file);
}
