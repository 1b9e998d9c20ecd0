// What sync calls to move membership events between peers (docs/membership.md#sync): the sending side's
// offer and missing events, and the receiving side's all-or-nothing apply under the fork rule.

import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import type { Repository } from '../store/repository.ts';
import { mergeVerified, type SignatureBatch } from './batch-verify.ts';
import { discardCheckpoint, type PreparedCheckpoint, prepareCheckpoint } from './chain-checkpoint.ts';
import { loadChain, loadChainHead, saveChain, touchedBy } from './chain-store.ts';
import type { HeldEvent } from './event-format.ts';
import { asWireEvent, type WireEvent } from './signing.ts';
import { MemberTree } from './tree.ts';

/**
 * Ids to offer as "have": the canonical tip first, then tips of branches that lost a fork, then the genesis
 * (always included, so two peers of one group always find a common event). Empty without a chain.
 */
export async function membershipTips(repo: Repository): Promise<ObjectId[]> {
  const chain = await loadChainHead(repo, Math.floor(Date.now() / 1000), {});
  if (chain === null) return [];
  const { tree } = chain;
  const tip = tree.tip().id;
  return [...new Set([tip, ...tree.leaves().filter((id) => id !== tip), tree.group])];
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

/** True when `wire` is new and its parent is held but not in `tree` (before a resumed tree's tip). */
function forksBeforeTip(tree: MemberTree, { id, event }: WireEvent): boolean {
  return event.prev !== null && tree.has(event.prev) && tree.get(event.prev) === undefined && !tree.has(id);
}

export interface ApplyResult {
  /** refs/members after the call (unchanged when nothing new arrived). */
  readonly tip: ObjectId;
  readonly previousTip: ObjectId | null;
  /** Ids of events that were new to this peer, in the order applied. */
  readonly added: readonly ObjectId[];
  /** Events that were on the canonical chain before and are not now (the fork rule chose another branch). */
  readonly displaced: readonly HeldEvent[];
  /** The chain after the call, as loadChainHead would give it (resumed at the checkpoint, or whole). */
  readonly tree: MemberTree;
}

/**
 * Validates `events` (parents before children; events already held are no-ops) against the local chain and
 * stores them all, or throws a typed error (E_EVENT_INVALID, E_EVENT_UNAUTHORIZED, E_EVENT_REPLAY,
 * E_PEER_REVOKED, E_PEER_UNKNOWN, or E_REF_CONFLICT on a concurrent local update) and stores none.
 * `now` (seconds) is fixed once per sync. Signatures are always verified. The caller should then hand
 * `displaced` to reissueOwnEvents so this peer's own events on a losing branch are re-issued.
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
    /** Checks already under way for these very event objects (a fetch feeds them as it reads); closed here. */
    readonly signatures?: SignatureBatch;
  } = {},
): Promise<ApplyResult> {
  const events = received.map(asWireEvent);
  let chain = await loadChainHead(repo, now, () => touchedBy(events));
  if (chain?.resumed && events.some((event) => forksBeforeTip(chain!.tree, event))) {
    chain = { ...(await loadChain(repo, { now }))!, resumed: false };
  }
  let held: MemberTree;
  let rest = events;
  let genesis: HeldEvent[] = [];
  if (chain === null) {
    // A fresh clone: the chain must start at this repository's own genesis.
    const [first] = events;
    if (first === undefined || first.event.seq !== 0) {
      throw new EnvSyncError('E_EVENT_INVALID', 'the membership events do not start at a genesis event');
    }
    held = MemberTree.create(first, { now, verifySignatures: true, expectedGroup: repo.group });
    genesis = [held.genesis];
    rest = events.slice(1);
  } else {
    held = chain.tree;
  }
  // A tree not resumed from a checkpoint is saved whole: that file is made and written while signatures are
  // checked, then renamed into place by the save (removed below if the save does not happen).
  let checkpoint: PreparedCheckpoint | undefined;
  const whileChecking = (trial: MemberTree): void => {
    if (trial.resumedAt === null) checkpoint = prepareCheckpoint(repo, trial);
  };
  try {
    const { tree, merged } = await mergeVerified(held, rest, now, options.signatures, whileChecking);
    const added = [...genesis, ...merged.added];
    const previousTip = chain?.storedTip ?? null;
    if (added.length === 0) return { tip: previousTip!, previousTip, added: [], displaced: [], tree };
    const from = options.source === undefined ? '' : ` from ${options.source}`;
    const forked = merged.displaced.length > 0 ? ', fork resolved' : '';
    await saveChain(
      repo,
      tree,
      added,
      previousTip,
      {
        peer: options.peer ?? 'sync',
        reason: `membership: ${added.length} event(s)${from}${forked}`,
      },
      { eventsStored: options.eventsStored, checkpoint },
    );
    return {
      tip: tree.tip().id,
      previousTip,
      added: added.map((held) => held.id),
      displaced: merged.displaced,
      tree,
    };
  } finally {
    if (checkpoint !== undefined) await discardCheckpoint(checkpoint);
  }
}
