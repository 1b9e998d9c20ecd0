// What sync calls to move membership events between peers (docs/membership.md#sync): the sending side's
// offer and missing events, and the receiving side's all-or-nothing apply under the fork rule.

import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import { MEMBERS_REF } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { loadChain, saveChain } from './chain-store.ts';
import type { HeldEvent } from './event-format.ts';
import { memberForkTips } from './fork-tips.ts';
import { mergeEvents } from './merge-events.ts';
import { asWireEvent, type WireEvent } from './signing.ts';
import { MemberTree } from './tree.ts';
import { forgetTrustedState } from './trusted-state.ts';

/**
 * Ids to offer as "have": the canonical tip first, then tips of branches that lost a fork, then the genesis
 * (always included, so two peers of one group always find a common event). Empty without a chain.
 */
export async function membershipTips(repo: Repository): Promise<ObjectId[]> {
  const tip = await repo.refs.read(MEMBERS_REF);
  if (tip === null) return [];
  return [...new Set([tip, ...(await memberForkTips(repo)), repo.group])];
}

/** True when every id in `ids` is this repository's canonical tip, a losing-branch tip or its genesis. */
export async function onlyHeldTips(repo: Repository, ids: readonly ObjectId[]): Promise<boolean> {
  const tips = new Set(await membershipTips(repo));
  return ids.every((id) => tips.has(id));
}

/**
 * Every held event that is neither one of `haveIds` nor an ancestor of one, parents first: exactly what a
 * peer holding `haveIds` lacks (ids this peer does not know are ignored). Losing branches are included, so
 * both peers end up holding the same set and therefore the same canonical chain.
 */
export async function eventsSince(repo: Repository, haveIds: readonly ObjectId[]): Promise<EventObject[]> {
  const chain = await loadChain(repo);
  if (chain === null) return [];
  return missingEvents(chain.tree, haveIds).map((held) => held.event);
}

export function missingEvents(tree: MemberTree, haveIds: readonly ObjectId[]): HeldEvent[] {
  const known = new Set<ObjectId>();
  for (const have of haveIds) {
    for (let at = tree.get(have); at !== undefined && !known.has(at.id); ) {
      known.add(at.id);
      at = at.event.prev === null ? undefined : tree.get(at.event.prev);
    }
  }
  return tree
    .all()
    .filter((held) => !known.has(held.id))
    .sort((a, b) => a.event.seq - b.event.seq);
}

export interface ApplyResult {
  /** refs/members after the call (unchanged when nothing new arrived). */
  readonly tip: ObjectId;
  readonly previousTip: ObjectId | null;
  /** Ids of events that were new to this peer, in the order applied. */
  readonly added: readonly ObjectId[];
  /** Events that were on the canonical chain before and are not now (the fork rule chose another branch). */
  readonly displaced: readonly HeldEvent[];
  /** Valid events not taken (forking too deep below the tip, or built on such a fork), with the reason. */
  readonly refused: readonly { readonly id: ObjectId; readonly reason: string }[];
  /** The chain after the call. */
  readonly tree: MemberTree;
}

/**
 * Validates `events` (parents before children; events already held are no-ops) against the local chain and
 * stores them all, or throws a typed error (E_EVENT_INVALID, E_EVENT_UNAUTHORIZED, E_EVENT_REPLAY,
 * E_PEER_REVOKED, E_PEER_UNKNOWN, or E_REF_CONFLICT on a concurrent local update) and stores none.
 * `now` (seconds) is fixed once per sync. Signatures are always verified. The caller should then call
 * reissueOwnEvents so this peer's revocations on a losing branch are re-issued.
 */
export async function applyRemoteEvents(
  repo: Repository,
  received: readonly (EventObject | WireEvent)[],
  now: number,
  options: {
    readonly peer?: string;
    readonly source?: string;
    /** Every event is a durable object already (fetch: the pack reader stored and synced them). */
    readonly eventsStored?: boolean;
  } = {},
): Promise<ApplyResult> {
  const events = received.map(asWireEvent);
  const chain = await loadChain(repo, { now });
  let tree: MemberTree;
  let rest = events;
  let genesis: HeldEvent[] = [];
  if (chain === null) {
    // A fresh clone: the chain must start at this repository's own genesis.
    const [first] = events;
    if (first === undefined || first.event.seq !== 0) {
      throw new EnvSyncError('E_EVENT_INVALID', 'the membership events do not start at a genesis event');
    }
    tree = MemberTree.create(first, { now, verifySignatures: true, expectedGroup: repo.group });
    genesis = [tree.genesis];
    await forgetTrustedState(repo);
    rest = events.slice(1);
  } else {
    tree = chain.tree.clone();
  }
  const merged = mergeEvents(tree, rest, now);
  const added = [...genesis, ...merged.added];
  const previousTip = chain?.storedTip ?? null;
  const result = { previousTip, displaced: merged.displaced, refused: merged.refused, tree };
  if (added.length === 0) return { ...result, tip: previousTip!, added: [] };
  const from = options.source === undefined ? '' : ` from ${options.source}`;
  const forked = merged.displaced.length > 0 ? ', fork resolved' : '';
  await saveChain(
    repo,
    tree,
    added,
    previousTip,
    { peer: options.peer ?? 'sync', reason: `membership: ${added.length} event(s)${from}${forked}` },
    { eventsStored: options.eventsStored },
  );
  return { ...result, tip: tree.tip().id, added: added.map((held) => held.id) };
}
