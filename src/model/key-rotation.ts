// Rotating this peer's keys in every group it belongs to (docs/identity.md#key-rotation): which repositories a
// rotation reaches, and publishing it in one of them. `identity rotate` runs these steps in order.

import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Identity } from '../crypto/identity.ts';
import { authorRotation } from '../membership/author.ts';
import { loadRegistry } from '../membership/chain-store.ts';
import { authoredHeads } from '../membership/commit-authorization.ts';
import type { HeldEvent } from '../membership/event-format.ts';
import { recordedRepositories } from '../membership/trusted-state.ts';
import { openRepository, type Repository } from '../store/repository.ts';

/**
 * The secure-peer repositories a rotation must reach: the one around `cwd`, if any, and every one this
 * machine has verified a chain of (the identity home's records), once each. Records of repositories that
 * are gone are skipped.
 */
export async function repositoriesToRotate(home: string, cwd: string): Promise<Repository[]> {
  const found = new Map<string, Repository>();
  const add = async (repo: Repository) => {
    if (repo.mode !== 'secure-peer') return;
    const key = await realpath(repo.dir).catch(() => path.resolve(repo.dir));
    if (!found.has(key)) found.set(key, repo);
  };
  await openRepository(cwd).then(add, () => {});
  for (const workTree of await recordedRepositories(home)) {
    const repo = await openRepository(workTree).catch(() => null);
    // openRepository searches upwards: a record whose repository is gone must not open an enclosing one.
    if (repo !== null && path.resolve(repo.workTree) === path.resolve(workTree)) await add(repo);
  }
  return [...found.values()];
}

/** What a rotation did in one repository. */
export type GroupRotation =
  | { readonly outcome: 'rotated'; readonly event: HeldEvent }
  | { readonly outcome: 'rotated-before' }
  | { readonly outcome: 'not-a-member' };

/**
 * Publishes `current`'s rotation to `next` in `repo`: a rotate-key event whose heads are `current`'s commits
 * there (they stay valid; nothing else it signs is accepted from then on). Nothing is written when `next` is
 * already the member (an interrupted rotation run again) or `current` is not an approved member.
 */
export async function rotateInRepository(
  repo: Repository,
  current: Identity,
  next: Identity,
  options: { readonly now: number; readonly restoredUnsynced: boolean },
): Promise<GroupRotation> {
  const registry = (await loadRegistry(repo, options.now))?.registry;
  if (registry?.byKey(next.signingKey.publicKey)?.state === 'approved') return { outcome: 'rotated-before' };
  if (registry?.byKey(current.signingKey.publicKey)?.state !== 'approved') return { outcome: 'not-a-member' };
  const heads = await authoredHeads(repo, current.peerId);
  const card = { ageRecipient: next.ageRecipient, certificateFingerprint: next.certificateFingerprint };
  const { held } = await authorRotation(repo, current.signingKey, next.signingKey, card, heads, {
    now: options.now,
    peer: current.peerId,
    reason: `identity rotate: to ${next.peerId}`,
    restoredUnsynced: options.restoredUnsynced,
  });
  return { outcome: 'rotated', event: held };
}

/** Whether `identity`'s key is an approved member of `repo`'s group now. */
export async function isApprovedIn(repo: Repository, identity: Identity, now: number): Promise<boolean> {
  const registry = (await loadRegistry(repo, now))?.registry;
  return registry?.byKey(identity.signingKey.publicKey)?.state === 'approved';
}
