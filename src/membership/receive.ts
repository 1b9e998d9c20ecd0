// Membership on every receive path (docs/membership.md#sync): after a pack is stored and verified and before
// any ref moves, apply the membership events that arrived (all or none), re-issue this peer's revocations that
// lost a fork, then refuse the whole exchange if a new commit is not authorized (commit-authorization.ts).
// Events move before secrets.

import { EnvSyncError, isEnvSyncError } from '../errors.ts';
import { walkLocalHistory } from '../store/local-history.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { newCommits } from './new-commits.ts';
import type { PeerRecord } from './registry.ts';
import type { EventSigner } from './signing.ts';

export interface MembershipOutcome {
  /** Events new to this peer, applied in this order. */
  readonly added: readonly ObjectId[];
  readonly tip: ObjectId | null;
  /** Events that left the canonical chain because the fork rule chose another branch. */
  readonly displaced: number;
  /** This peer's own events that lost a fork and were re-issued on the winning tip / could not be. */
  readonly reissued: number;
  readonly dropped: number;
  /** This peer's approvals or recorded requests that lost a fork: to confirm by running them again. */
  readonly waiting: number;
  /** Valid events not taken (forking too deep below the tip, or built on such a fork), with the reason. */
  readonly refused: readonly { readonly id: ObjectId; readonly reason: string }[];
  /** New commits checked against the chain. */
  readonly commitsChecked: number;
  /** This peer in the registry after the fetch (undefined: not in it), when the chain was loaded. */
  readonly self: PeerRecord | undefined | null;
}

/** What arrived: branch tips (commits) and membership tips (events), all stored and verified already. */
export interface Arrived {
  readonly tips: readonly ObjectId[];
  readonly memberTips: readonly ObjectId[];
  /** The events' bytes as received (hash-checked): read from here instead of back from the store. */
  readonly received?: ReadonlyMap<ObjectId, Uint8Array>;
}

export interface ApplyOptions {
  readonly peerId: string;
  readonly source: string;
  readonly now: number;
  /**
   * This peer's signing key (and its key before its last rotation), to re-issue its revocations and its
   * rotation that lost a fork; null: no re-issue.
   */
  readonly signer: (() => Promise<{ current: EventSigner; retired: EventSigner | null }>) | null;
}

/** The membership modules, loaded when a fetch first needs them (start-up time of other commands). */
async function membershipModules() {
  const [chainStore, exchange, author, authorization] = await Promise.all([
    import('./chain-store.ts'),
    import('./exchange.ts'),
    import('./author.ts'),
    import('./commit-authorization.ts'),
  ]);
  return { ...chainStore, ...exchange, ...author, ...authorization };
}

export async function applyFetchedMembership(
  repo: Repository,
  arrived: Arrived,
  { peerId, source, now, signer }: ApplyOptions,
): Promise<MembershipOutcome> {
  const m = await membershipModules();
  const commits = await newCommits(repo, arrived.tips);
  const starts = [...arrived.memberTips, ...commits.map(({ commit }) => commit.members)].filter(
    (id): id is ObjectId => id !== null,
  );
  // Up to date (the remote names only tips this peer has): no event to apply and no commit to check.
  if (commits.length === 0 && (await m.onlyHeldTips(repo, starts))) {
    const counts = { displaced: 0, reissued: 0, dropped: 0, waiting: 0, commitsChecked: 0 };
    return { ...counts, added: [], tip: null, refused: [], self: null };
  }
  let chain = await m.loadChain(repo, { now });
  const events = await m.readEventsFrom(repo, starts, (id) => chain?.tree.has(id) ?? false, arrived.received);
  const outcome = { added: [] as readonly ObjectId[], tip: null as ObjectId | null, displaced: 0 };
  const own = { reissued: 0, dropped: 0, waiting: 0 };
  let refused: MembershipOutcome['refused'] = [];
  if (events.length > 0) {
    const applied = await applyEvents(m, repo, events, { peerId, source, now });
    ({ added: outcome.added, tip: outcome.tip, refused } = applied);
    outcome.displaced = applied.displaced.length;
    chain = { tree: applied.tree, storedTip: applied.tip };
    if (applied.added.length > 0 && signer !== null) {
      const keys = await signer();
      const reason = `fetch: re-issue after events from ${source}`;
      const result = await m.reissueOwnEvents(
        repo,
        keys.current,
        { now, peer: peerId, reason },
        keys.retired,
      );
      own.reissued = result.reissued.length;
      own.dropped = result.dropped.length;
      own.waiting = result.waiting.length;
      if (own.reissued > 0) {
        outcome.tip = result.reissued.at(-1)!.id;
        chain = await m.loadChain(repo, { now });
      }
    }
  }
  let self: PeerRecord | undefined | null = null;
  if (commits.length > 0 || outcome.added.length > 0) {
    if (chain === null) {
      throw new EnvSyncError(
        'E_EVENT_UNAUTHORIZED',
        `${source} sent commits but no membership chain; a secure-peer repository needs one; no branch moved`,
      );
    }
    self = chain.tree.registry().byPeerId(peerId);
    const checks = new m.CommitChecks(repo, chain.tree);
    let held: ReadonlySet<ObjectId> | null = null;
    for (const { id, commit } of commits) {
      const problem = await m.commitAuthorizationProblem(checks, id, commit);
      if (problem !== null) {
        // Skewed dates can make the walk return a held commit, accepted before: only a new one is refused.
        held ??= await walkLocalHistory(repo);
        if (held.has(id)) continue;
        throw new EnvSyncError(
          'E_EVENT_UNAUTHORIZED',
          `fetch from ${source} refused: ${problem}; no branch moved (valid membership events it brought are kept)`,
        );
      }
    }
  }
  return { ...outcome, ...own, refused, commitsChecked: commits.length, self };
}

type Modules = Awaited<ReturnType<typeof membershipModules>>;

/** applyRemoteEvents, its refusal restated as the fetch's. */
async function applyEvents(
  m: Modules,
  repo: Repository,
  events: Parameters<Modules['applyRemoteEvents']>[1],
  { peerId, source, now }: Omit<ApplyOptions, 'signer'>,
) {
  try {
    return await m.applyRemoteEvents(repo, events, now, { peer: peerId, source, eventsStored: true });
  } catch (error) {
    if (!isEnvSyncError(error)) throw error;
    throw new EnvSyncError(
      error.code,
      `membership events from ${source} refused: ${error.message}; no ref moved`,
    );
  }
}
