// Writing this peer's own events: build on the canonical tip, check every rule as a receiver would, store,
// move refs/members by compare-and-swap. Also re-issues this peer's events that a fork left behind.

import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import type { Repository } from '../store/repository.ts';
import { childEvent, rotateKeyEvent } from './build-event.ts';
import { requireChain, saveChain } from './chain-store.ts';
import type { EventBody, HeldEvent } from './event-format.ts';
import { memberForkTips } from './fork-tips.ts';
import { type ReissueResult, reissueEvents } from './merge-events.ts';
import { readOnlyError } from './reader-role.ts';
import type { EventSigner } from './signing.ts';
import type { MemberTree } from './tree.ts';

export type ChildBody = Exclude<EventBody, { kind: 'genesis' | 'rotate-key' }>;

export interface AuthorOptions {
  readonly now: number;
  /** Peer id for the reflog. */
  readonly peer: string;
  readonly reason: string;
  /**
   * The signer's identity was restored from a backup and has not synced since: its chain may be older than
   * the one its lost copy signed on, and an event on it would fork its own history. Refused.
   */
  readonly restoredUnsynced: boolean;
}

/** Appends one event whose body `make` derives from the current chain; returns it with the updated tree. */
export async function authorEvent(
  repo: Repository,
  signer: EventSigner,
  make: (tree: MemberTree) => ChildBody,
  options: AuthorOptions,
): Promise<{ held: HeldEvent; tree: MemberTree }> {
  return appendEvent(
    repo,
    (tree, tip, time) => childEvent(signer, tree.group, tip, make(tree), time),
    options,
  );
}

/**
 * Appends this peer's rotation to `next`: signed by the new key, then by the current one, which ends rotated
 * away. `heads`: the current key's commits that stay valid (its other commits are refused from then on).
 */
export async function authorRotation(
  repo: Repository,
  current: EventSigner,
  next: EventSigner,
  card: { readonly ageRecipient: string; readonly certificateFingerprint: string },
  heads: readonly ObjectId[],
  options: AuthorOptions,
): Promise<{ held: HeldEvent; tree: MemberTree }> {
  return appendEvent(
    repo,
    (tree, tip, time) => {
      requireSigner(tree, current, 'rotate its key');
      return rotateKeyEvent(current, next, tree.group, tip, card, time, heads);
    },
    options,
  );
}

async function appendEvent(
  repo: Repository,
  build: (tree: MemberTree, tip: HeldEvent, time: number) => EventObject,
  options: AuthorOptions,
): Promise<{ held: HeldEvent; tree: MemberTree }> {
  if (options.restoredUnsynced) {
    throw new EnvSyncError(
      'E_EVENT_UNAUTHORIZED',
      "this identity was restored from a backup and has not synced since: run 'env-sync pull' from a peer first, so that it signs on the group's latest events",
    );
  }
  const { tree, storedTip } = await requireChain(repo, { now: options.now });
  const tip = tree.tip();
  const event = build(tree, tip, Math.max(options.now, tip.event.time));
  const held = tree.add(event, { now: options.now, verifySignatures: true })!;
  if (!tree.isCanonical(held.id)) {
    // Valid on its branch, refused by the fork rule's walk (its signer was revoked by a fork's revocation).
    throw new EnvSyncError(
      'E_EVENT_UNAUTHORIZED',
      'this peer can no longer sign membership events in this group',
    );
  }
  await saveChain(repo, tree, [held], storedTip, options);
  return { held, tree };
}

/**
 * Re-issues this peer's events that lost a fork (see reissueEvents) on the current tip and stores them.
 * Sync calls it after applyRemoteEvents: the author re-issues them at its next sync.
 */
export async function reissueOwnEvents(
  repo: Repository,
  signer: EventSigner,
  // During a sync, on the events just fetched: a restored identity has synced by then.
  options: Omit<AuthorOptions, 'restoredUnsynced'>,
  /** This peer's key before its last rotation: re-signs that rotation if it lost a fork. */
  retired: EventSigner | null = null,
): Promise<ReissueResult> {
  // Every held event is on the canonical chain unless some branch lost a fork: then there is nothing to do.
  if ((await memberForkTips(repo)).length === 0) return { reissued: [], dropped: [], waiting: [] };
  const { tree, storedTip } = await requireChain(repo, { now: options.now });
  const result = reissueEvents(tree, signer, options.now, retired);
  if (result.reissued.length > 0) await saveChain(repo, tree, result.reissued, storedTip, options);
  return result;
}

export function requireSigner(tree: MemberTree, signer: EventSigner, what: string): void {
  const record = tree.registry().byKey(signer.publicKey);
  if (record?.state !== 'approved') {
    throw new EnvSyncError('E_EVENT_UNAUTHORIZED', `this peer is not an approved member; it cannot ${what}`);
  }
  if (record.role === 'reader') throw readOnlyError(record.peerId, what);
}
