// Membership on fetch, clone, pull and bundle fetch (docs/membership.md#sync): after the pack is stored and
// verified and before any ref moves, apply the membership events the remote advertised (all or none), re-issue
// this peer's events that lost a fork, then in secure-peer refuse the fetch if a new commit's author was not
// approved at the membership event it names. Events move before secrets.

import { EnvSyncError, isEnvSyncError } from '../../errors.ts';
import type { PeerRecord } from '../../membership/registry.ts';
import { type ObjectId, shortId } from '../../store/object-id.ts';
import type { CommitObject } from '../../store/objects.ts';
import type { Repository } from '../../store/repository.ts';
import type { BeforeRefMoves } from '../../sync/fetch.ts';
import type { BeforeRefUpdates } from '../../sync/upload-pack.ts';
import { loadThisPeer } from '../session.ts';

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
  /** Valid events not taken (signed by a revoked key, or forking too deep), with the reason. */
  readonly refused: readonly { readonly id: ObjectId; readonly reason: string }[];
  /** New commits checked against the chain. */
  readonly commitsChecked: number;
  /** This peer in the registry after the fetch (undefined: not in it), when the chain was loaded. */
  readonly self: PeerRecord | undefined | null;
}

/**
 * A BeforeRefMoves hook for one fetch from `source` (for messages, e.g. `remote 'origin'`), and what it did.
 * `now` (seconds) is fixed once per sync. Repositories in other modes than secure-peer are left untouched.
 */
export function membershipOnFetch(options: {
  readonly peerId: string;
  readonly source: string;
  readonly now: number;
  /** Re-issue this peer's events that lost a fork (false for a scratch repository: bundle verify). */
  readonly reissue?: boolean;
}): { readonly hook: BeforeRefMoves; outcome(): MembershipOutcome | null } {
  let outcome: MembershipOutcome | null = null;
  const hook: BeforeRefMoves = async (repo, ad, received) => {
    if (repo.mode !== 'secure-peer') return;
    const memberTips = [ad.members, ...ad.memberForks].filter((id): id is ObjectId => id !== null);
    outcome = await applyFetchedMembership(
      repo,
      { tips: ad.refs.map((ref) => ref.id), memberTips, received },
      options,
    );
  };
  return { hook, outcome: () => outcome };
}

/**
 * The same check on the serving side of a push (receive-pack): events the pushed commits name are applied,
 * and every pushed commit's author must have been approved at the event it names, before any branch moves.
 */
export function membershipOnReceive(options: {
  readonly peerId: string;
  readonly now: number;
}): BeforeRefUpdates {
  return async (repo, tips) => {
    if (repo.mode !== 'secure-peer') return;
    // No re-issue here: this process may not be the repository's own peer (a local push runs in the pusher's).
    await applyFetchedMembership(
      repo,
      { tips, memberTips: [] },
      { ...options, source: 'the pushing peer', reissue: false },
    );
  };
}

/** What arrived: branch tips (commits) and membership tips (events), all stored and verified already. */
interface Arrived {
  readonly tips: readonly ObjectId[];
  readonly memberTips: readonly ObjectId[];
  /** The events' bytes as received (hash-checked): read from here instead of back from the store. */
  readonly received?: ReadonlyMap<ObjectId, Uint8Array>;
}

type Options = { peerId: string; source: string; now: number; reissue?: boolean };

/** The membership modules, loaded when a fetch first needs them (start-up time of other commands). */
async function membershipModules() {
  const [chainStore, exchange, author, authorization] = await Promise.all([
    import('../../membership/chain-store.ts'),
    import('../../membership/exchange.ts'),
    import('../../membership/author.ts'),
    import('../../membership/commit-authorization.ts'),
  ]);
  return { ...chainStore, ...exchange, ...author, ...authorization };
}

async function applyFetchedMembership(
  repo: Repository,
  arrived: Arrived,
  { peerId, source, now, reissue = true }: Options,
): Promise<MembershipOutcome> {
  const m = await membershipModules();
  const commits = await newCommits(repo, arrived.tips);
  const starts = [...arrived.memberTips, ...commits.map(({ commit }) => commit.members)].filter(
    (id): id is ObjectId => id !== null,
  );
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
    if (applied.added.length > 0 && reissue) {
      const identity = await loadThisPeer();
      const result = await m.reissueOwnEvents(repo, identity.signingKey, {
        now,
        peer: peerId,
        reason: `fetch: re-issue after events from ${source}`,
      });
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
        `${source} sent commits but no membership chain; a secure-peer repository needs one, no ref moved`,
      );
    }
    self = chain.tree.registry().byPeerId(peerId);
    for (const { id, commit } of commits) {
      const problem = m.commitAuthorizationProblem(chain.tree, id, commit);
      if (problem !== null) {
        throw new EnvSyncError(
          'E_EVENT_UNAUTHORIZED',
          `fetch from ${source} refused: ${problem}; no ref moved`,
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
  { peerId, source, now }: Omit<Options, 'reissue'>,
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

/**
 * Commits reachable from `tips` and not from any local branch or remote-tracking ref: those were accepted
 * before (fetched through this check, or made here). Reading the local history costs a walk of it, only when
 * some tip is not already a local ref.
 */
async function newCommits(
  repo: Repository,
  tips: readonly ObjectId[],
): Promise<{ id: ObjectId; commit: CommitObject }[]> {
  const local = [...(await repo.refs.list('refs/heads/')), ...(await repo.refs.list('refs/remotes/'))].map(
    (ref) => ref.id,
  );
  const localTips = new Set(local);
  if (tips.every((id) => localTips.has(id))) return [];
  const known = new Set<ObjectId>();
  await walkCommits(repo, local, known, () => {});
  const fresh: { id: ObjectId; commit: CommitObject }[] = [];
  await walkCommits(repo, tips, known, (id, commit) => fresh.push({ id, commit }));
  return fresh;
}

async function walkCommits(
  repo: Repository,
  from: readonly ObjectId[],
  seen: Set<ObjectId>,
  visit: (id: ObjectId, commit: CommitObject) => void,
): Promise<void> {
  const stack = [...from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const commit = await repo.objects.readTyped(id, 'commit');
    visit(id, commit);
    stack.push(...commit.parents);
  }
}

/** What fetch prints about membership: ids and counts, never values. Empty when nothing changed. */
export function describeMembership(outcome: MembershipOutcome | null): string[] {
  if (outcome === null) return [];
  const lines: string[] = [];
  if (outcome.added.length > 0) {
    const n = outcome.added.length;
    const fork = outcome.displaced > 0 ? `, fork resolved: ${outcome.displaced} event(s) left the chain` : '';
    lines.push(`members: ${n} new event${n === 1 ? '' : 's'} (tip ${shortId(outcome.tip!)}${fork})`);
  }
  if (outcome.reissued > 0) {
    lines.push(`members: re-issued ${outcome.reissued} event(s) of this peer that lost a fork`);
  }
  if (outcome.dropped > 0) {
    lines.push(`members: ${outcome.dropped} event(s) of this peer that lost a fork no longer apply`);
  }
  if (outcome.waiting > 0) {
    lines.push(
      `members: ${outcome.waiting} approval(s) of this peer lost a fork; run \`env-sync peer approve\` again to confirm them (see \`env-sync peer list\`)`,
    );
  }
  for (const { id, reason } of outcome.refused.slice(0, 5)) {
    lines.push(`members: refused event ${shortId(id)}: ${reason}`);
  }
  if (outcome.refused.length > 5) lines.push(`members: refused ${outcome.refused.length - 5} more event(s)`);
  return lines;
}

/** One line on where this peer stands, for clone and for a fetch that changed the chain. */
export function describeSelf(self: PeerRecord | undefined): string {
  if (self === undefined || self.state === 'pending') {
    const pending = self === undefined ? '' : ' (a join request is pending)';
    return `you are not a member yet${pending}: run \`env-sync peer request -o <file>\` and send the file to an admin; values stay unreadable until you are approved`;
  }
  if (self.state === 'revoked') return 'this peer has been revoked: it cannot read new values';
  return `you are an approved ${self.role ?? 'member'} of this group`;
}
