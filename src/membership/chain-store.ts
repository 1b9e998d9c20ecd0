// The membership chain on disk: events are ordinary objects, `refs/members` holds the canonical tip (moved
// only by compare-and-swap), `.env-sync/members-tips` lists tips of branches that lost a fork, and the identity
// home keeps what this machine last verified (trusted-state.ts).

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { nowSeconds } from '../clock.ts';
import { EnvSyncError } from '../errors.ts';
import { writeFileAtomic } from '../store/fs-atomic.ts';
import { type ObjectId, shortId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import { MEMBERS_REF } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import type { HeldEvent } from './event-format.ts';
import { FORK_TIPS_FILE, memberForkTips } from './fork-tips.ts';
import type { Registry } from './registry.ts';
import { type WireEvent, wireEventFromBytes } from './signing.ts';
import { type AddOptions, MemberTree } from './tree.ts';
import {
  forgetTrustedState,
  readTrustedState,
  type TrustedState,
  writeTrustedState,
} from './trusted-state.ts';

export interface StoredChain {
  readonly tree: MemberTree;
  /** What refs/members held when the chain was read: the expected value for the next update. */
  readonly storedTip: ObjectId;
}

/** An event with its bytes, read and checked against its id by the object store. */
async function readEvent(repo: Repository, id: ObjectId): Promise<WireEvent> {
  return wireEventFromBytes(await repo.objects.readRaw(id), `object ${shortId(id)}`, id);
}

/**
 * Every event reachable from `starts` and not `held`, parents first (seq, then id). `received`: the bytes of
 * events a fetch has just received and stored, hash-checked, so that they need not be read back.
 */
export async function readEventsFrom(
  repo: Repository,
  starts: readonly ObjectId[],
  held: (id: ObjectId) => boolean = () => false,
  received?: ReadonlyMap<ObjectId, Uint8Array>,
): Promise<WireEvent[]> {
  const found = new Map<ObjectId, WireEvent>();
  for (const start of starts) {
    for (let at: ObjectId | null = start; at !== null && !held(at) && !found.has(at); ) {
      const bytes: Uint8Array | undefined = received?.get(at);
      const wire: WireEvent =
        bytes === undefined
          ? await readEvent(repo, at)
          : wireEventFromBytes(bytes, `object ${shortId(at)}`, at);
      found.set(at, wire);
      at = wire.event.prev;
    }
  }
  const sorted = [...found.values()];
  sorted.sort((a, b) => a.event.seq - b.event.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sorted;
}

/** Every held event reachable from refs/members and the fork tips, parents first (seq, then id). */
export async function readRawEvents(
  repo: Repository,
): Promise<{ tip: ObjectId | null; forks: ObjectId[]; events: WireEvent[] }> {
  const tip = await repo.refs.read(MEMBERS_REF);
  if (tip === null) return { tip, forks: [], events: [] };
  const forks = await memberForkTips(repo);
  return { tip, forks, events: await readEventsFrom(repo, [tip, ...forks]) };
}

/** Builds the tree from stored events (genesis first), checking every rule; the genesis must be the group's. */
export function buildTree(repo: Repository, events: readonly WireEvent[], options: AddOptions): MemberTree {
  const [genesis, ...rest] = events;
  if (genesis === undefined || genesis.event.seq !== 0) {
    throw new EnvSyncError('E_EVENT_INVALID', 'the membership chain has no genesis event');
  }
  const tree = MemberTree.create(genesis, { ...options, expectedGroup: repo.group });
  for (const wire of rest) tree.add(wire, options);
  return tree;
}

/** True when the refs name exactly the tips `trusted` was computed for. */
function refsMatch(trusted: TrustedState | null, tip: ObjectId, forks: readonly ObjectId[]): boolean {
  if (trusted === null || trusted.tip !== tip || trusted.forks.length !== forks.length) return false;
  const sorted = [...forks].sort();
  return trusted.forks.every((id, i) => id === sorted[i]);
}

/**
 * The local chain, or null when the repository has none. Every rule is checked, and every signature unless the
 * refs name exactly the tips this machine verified last (the identity home's record vouches for those events:
 * ids are hashes, so the same tips mean the same events). A chain that lost an event the record holds is a
 * rollback (E_MEMBERS_ROLLBACK). A chain verified whole is recorded.
 */
export async function loadChain(
  repo: Repository,
  options: Partial<AddOptions> = {},
): Promise<StoredChain | null> {
  const { tip, forks, events } = await readRawEvents(repo);
  if (tip === null) return null;
  const trusted = await readTrustedState(repo);
  const verifySignatures = options.verifySignatures ?? !refsMatch(trusted, tip, forks);
  const tree = buildTree(repo, events, {
    now: options.now ?? nowSeconds(),
    verifySignatures,
  });
  checkNoRollback(repo, (id) => tree.has(id), trusted);
  if (verifySignatures && tree.tip().id === tip) await recordTrusted(repo, tree);
  return { tree, storedTip: tip };
}

/** Refuses (E_MEMBERS_ROLLBACK) a chain that no longer holds every event of this machine's record. */
export function checkNoRollback(
  repo: Repository,
  holds: (id: ObjectId) => boolean,
  trusted: TrustedState | null,
): void {
  if (trusted === null) return;
  const lost = [trusted.tip, ...trusted.forks].find((id) => !holds(id));
  if (lost === undefined) return;
  throw new EnvSyncError(
    'E_MEMBERS_ROLLBACK',
    `${path.join(repo.dir, 'refs/members')}: the membership chain no longer holds event ${shortId(lost)}, which this machine verified before; refs/members or members-tips was rolled back, refusing`,
  );
}

async function recordTrusted(repo: Repository, tree: MemberTree): Promise<void> {
  const tip = tree.tip().id;
  const forks = tree.leaves().filter((id) => id !== tip);
  await writeTrustedState(repo, { tip, forks, registry: tree.registry() });
}

/**
 * The registry at the canonical tip and the tip, cheaply: from the identity home's record while refs name the
 * tips it verified, else from the whole chain verified (which records it). Null without a chain.
 */
export async function loadRegistry(
  repo: Repository,
  now: number,
): Promise<{ registry: Registry; tip: ObjectId } | null> {
  const tip = await repo.refs.read(MEMBERS_REF);
  if (tip === null) return null;
  const trusted = await readTrustedState(repo);
  if (refsMatch(trusted, tip, await memberForkTips(repo))) return { registry: trusted!.registry, tip };
  const chain = await loadChain(repo, { now, verifySignatures: true });
  return chain === null ? null : { registry: chain.tree.registry(), tip: chain.tree.tip().id };
}

/** The registry at the canonical tip, as loadRegistry gives it; a repository without a chain is refused. */
export async function requireRegistry(repo: Repository, now: number): Promise<Registry> {
  return ((await loadRegistry(repo, now)) ?? noChain()).registry;
}

export async function requireChain(
  repo: Repository,
  options: Partial<AddOptions> = {},
): Promise<StoredChain> {
  return (await loadChain(repo, options)) ?? noChain();
}

function noChain(): never {
  throw new EnvSyncError(
    'E_EVENT_INVALID',
    'this repository has no membership chain (refs/members is missing); was its init interrupted?',
  );
}

/**
 * Stores `added` events durably (unless `eventsStored`: they are durable objects already, as a fetch's pack
 * reader leaves them), then moves refs/members to the tree's canonical tip if it still holds `expected` (a
 * concurrent writer makes this fail with E_REF_CONFLICT and nothing moves), then records the tips of losing
 * branches, and the verified state in the identity home.
 */
export async function saveChain(
  repo: Repository,
  tree: MemberTree,
  added: readonly HeldEvent[],
  expected: ObjectId | null,
  update: { readonly peer: string; readonly reason: string },
  { eventsStored = false }: { readonly eventsStored?: boolean } = {},
): Promise<void> {
  if (!eventsStored) {
    const written: ObjectId[] = [];
    for (const held of added) {
      // Stored already: packed (durable), or loose, maybe left by an unfinished batch (a durable write fsyncs it).
      if (await repo.objects.has(held.id)) await repo.objects.write(held.event);
      else written.push(await repo.objects.write(held.event, { durable: false }));
    }
    await repo.objects.syncObjects(written);
  }
  const tip = tree.tip().id;
  if (tip !== expected) await repo.refs.update(MEMBERS_REF, tip, { ...update, expected });
  const forks = tree.leaves().filter((id) => id !== tip);
  const file = path.join(repo.dir, FORK_TIPS_FILE);
  if (forks.length > 0) await writeFileAtomic(file, forks.map((id) => `${id}\n`).join(''));
  else await fs.rm(file, { force: true });
  await recordTrusted(repo, tree);
}

/** Stores a new group's genesis and points refs/members at it (init); refs/members must not exist yet. */
export async function storeGenesis(repo: Repository, genesis: EventObject, peer: string): Promise<ObjectId> {
  await forgetTrustedState(repo);
  const tree = MemberTree.create(genesis, {
    now: genesis.time,
    verifySignatures: true,
    expectedGroup: repo.group,
  });
  await saveChain(repo, tree, [tree.genesis], null, { peer, reason: 'init: genesis (founder, admin)' });
  return tree.group;
}
