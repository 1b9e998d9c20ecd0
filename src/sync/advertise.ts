// What a server says first (its refs, event-chain tips, group and mode), and the client's check that
// it may sync with that server at all: same mode, same group, or nothing moves (docs/protocol.md#advertisement).

import { EnvSyncError } from '../errors.ts';
import { memberForkTips } from '../membership/fork-tips.ts';
import { shortId } from '../store/object-id.ts';
import { MEMBERS_REF } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { type Advertisement, PROTOCOL_VERSION, type Service } from './messages.ts';
import type { PackTip } from './pack-reader.ts';

export const AGENT = 'env-sync/1';

export async function buildAdvertisement(
  repo: Repository,
  service: Service | 'bundle',
): Promise<Advertisement> {
  const refs = await repo.refs.list('refs/heads/');
  let head: string | null = null;
  try {
    head = await repo.refs.headTarget();
  } catch {
    head = null;
  }
  return {
    service,
    protocol: PROTOCOL_VERSION,
    group: repo.group,
    groupNonce: repo.groupNonce,
    mode: repo.mode,
    head: refs.some((ref) => ref.name === head) ? head : null,
    refs,
    members: await repo.refs.read(MEMBERS_REF),
    memberForks: await memberForkTips(repo),
    agent: AGENT,
  };
}

/** Every tip an advertisement offers: its branches, the membership tip and the tips of losing forks. */
export function advertisedTips(ad: Advertisement): PackTip[] {
  const tips: PackTip[] = ad.refs.map((ref) => ({ name: ref.name, id: ref.id, type: 'commit' }));
  if (ad.members !== null) tips.push({ name: 'refs/members', id: ad.members, type: 'event' });
  for (const id of ad.memberForks) tips.push({ name: 'a losing membership branch', id, type: 'event' });
  return tips;
}

/** Refuses a peer in another mode or group before any object moves. `remote` names it in messages. */
export function checkCompatible(repo: Repository, ad: Advertisement, remote: string): void {
  if (ad.mode !== repo.mode) {
    throw new EnvSyncError(
      'E_MODE_MISMATCH',
      `${remote} is a ${ad.mode} repository and this one is ${repo.mode}; modes are never mixed, nothing was transferred`,
    );
  }
  if (ad.group !== repo.group) {
    throw new EnvSyncError(
      'E_GROUP_MISMATCH',
      `${remote} belongs to group ${shortId(ad.group)}, this repository to ${shortId(repo.group)}: unrelated repositories; use 'env-sync clone <url>' to join that group`,
    );
  }
}

/**
 * The server-side twin of checkCompatible, applied to what a client says about itself; a clone (group and
 * mode null) joins any group.
 */
export function checkClient(repo: Repository, client: { group: string | null; mode: string | null }): void {
  if (client.group === null && client.mode === null) return;
  if (client.mode !== repo.mode) {
    throw new EnvSyncError(
      'E_MODE_MISMATCH',
      `client is a ${client.mode} repository and this one is ${repo.mode}; refused`,
    );
  }
  if (client.group !== repo.group) {
    throw new EnvSyncError(
      'E_GROUP_MISMATCH',
      'client belongs to another group; refused (clone to join this group)',
    );
  }
}
