// The membership chain on disk: events are ordinary objects, `refs/members` holds the canonical tip (moved
// only by compare-and-swap), `.env-sync/members-tips` lists tips of branches that lost a fork, and
// `.env-sync/members-checkpoint` caches the state at the tip (chain-checkpoint.ts).

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EnvSyncError } from '../errors.ts';
import { writeFileAtomic } from '../store/fs-atomic.ts';
import { FORK_TIPS_FILE, memberForkTips } from '../store/member-fork-tips.ts';
import { type ObjectId, shortId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import { MEMBERS_REF } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { type PreparedCheckpoint, readCheckpoint, writeCheckpoint } from './chain-checkpoint.ts';
import type { CheckpointTouch } from './checkpoint-pages.ts';
import { type HeldEvent, parseEventBody, SKEW_SECONDS } from './event-format.ts';
import { hex } from './registry.ts';
import { type WireEvent, wireEventFromBytes } from './signing.ts';
import { type AddOptions, MemberTree } from './tree.ts';

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
 * events a fetch has just received and stored, hash-checked, so that they need not be read back. `read` sees
 * each event as it is read (a fetch starts checking its signatures then).
 */
export async function readEventsFrom(
  repo: Repository,
  starts: readonly ObjectId[],
  held: (id: ObjectId) => boolean = () => false,
  received?: ReadonlyMap<ObjectId, Uint8Array>,
  read?: (wire: WireEvent) => void,
): Promise<WireEvent[]> {
  const found = new Map<ObjectId, WireEvent>();
  for (const start of starts) {
    for (let at: ObjectId | null = start; at !== null && !held(at) && !found.has(at); ) {
      const bytes: Uint8Array | undefined = received?.get(at);
      // Received bytes are decoded in place: no promise per event on a first fetch's 10,000.
      const wire: WireEvent =
        bytes === undefined
          ? await readEvent(repo, at)
          : wireEventFromBytes(bytes, `object ${shortId(at)}`, at);
      read?.(wire);
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

/**
 * The local chain, or null when the repository has none. Stored events were verified when they arrived,
 * so by default signatures are not re-checked (pass verifySignatures: true to audit); rules always are.
 */
export async function loadChain(
  repo: Repository,
  options: Partial<AddOptions> = {},
): Promise<StoredChain | null> {
  const { tip, events } = await readRawEvents(repo);
  if (tip === null) return null;
  const tree = buildTree(repo, events, {
    now: options.now ?? Math.floor(Date.now() / 1000),
    verifySignatures: options.verifySignatures ?? false,
  });
  return { tree, storedTip: tip };
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
 * The chain as of refs/members, cheaply: a tree resumed at the tip from the checkpoint when it is valid for the
 * current tip and fork tips (one object read, and the checkpoint pages `touch` names: by default all of them),
 * else the whole chain loaded with every rule checked, after which the checkpoint is rewritten. Null without a
 * chain. A resumed tree takes new children of the tip, answers `has` for every held event and gives the
 * registry at the tip, reading pages not touched yet when asked (E_CHECKPOINT_DAMAGED if one is damaged);
 * for anything else use loadChain.
 */
export async function loadChainHead(
  repo: Repository,
  now: number,
  touch?: CheckpointTouch | (() => CheckpointTouch),
): Promise<(StoredChain & { readonly resumed: boolean }) | null> {
  const storedTip = await repo.refs.read(MEMBERS_REF);
  if (storedTip === null) return null;
  const forks = await memberForkTips(repo);
  const checkpoint = await readCheckpoint(repo, { tip: storedTip, forks }, touch);
  if (checkpoint !== null && checkpoint.latest <= now + SKEW_SECONDS) {
    const event = await repo.objects.readTyped(storedTip, 'event');
    const tip = { id: storedTip, event, body: parseEventBody(event, storedTip) };
    const history = { before: checkpoint.held, forks, latest: checkpoint.latest };
    return {
      tree: MemberTree.resume(repo.group, tip, checkpoint.registry, history),
      storedTip,
      resumed: true,
    };
  }
  checkpoint?.held.close();
  const chain = (await loadChain(repo, { now })) ?? noChain();
  if (chain.storedTip === storedTip && chain.tree.tip().id === storedTip) {
    await writeCheckpoint(
      repo,
      chain.tree,
      chain.tree.leaves().filter((id) => id !== storedTip),
    );
  }
  return { ...chain, resumed: false };
}

/** What applying `events` will look up in a checkpoint: their ids and parents, every key and nonce they carry. */
export function touchedBy(events: readonly WireEvent[]): CheckpointTouch {
  const ids: ObjectId[] = [];
  const keys: string[] = [];
  const nonces: string[] = [];
  for (const { id, event } of events) {
    ids.push(id);
    if (event.prev !== null) ids.push(event.prev);
    keys.push(hex(event.actor));
    for (const field of event.subject) {
      if (field instanceof Uint8Array && field.length === 32) keys.push(hex(field));
      if (field instanceof Uint8Array && field.length === 16) nonces.push(hex(field));
    }
  }
  return { ids, keys, nonces };
}

/** loadChainHead for a repository that must have a chain. */
export async function requireChainHead(repo: Repository, now: number): Promise<StoredChain> {
  return (await loadChainHead(repo, now)) ?? noChain();
}

/**
 * Stores `added` events durably (unless `eventsStored`: they are durable objects already, as a fetch's pack
 * reader leaves them), then moves refs/members to the tree's canonical tip if it still holds `expected` (a
 * concurrent writer makes this fail with E_REF_CONFLICT and nothing moves), then records the tips of losing
 * branches and the checkpoint.
 */
export async function saveChain(
  repo: Repository,
  tree: MemberTree,
  added: readonly HeldEvent[],
  expected: ObjectId | null,
  update: { readonly peer: string; readonly reason: string },
  {
    eventsStored = false,
    checkpoint,
  }: { readonly eventsStored?: boolean; readonly checkpoint?: PreparedCheckpoint } = {},
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
  await writeCheckpoint(repo, tree, forks, checkpoint);
}

/** Stores a new group's genesis and points refs/members at it (init); refs/members must not exist yet. */
export async function storeGenesis(repo: Repository, genesis: EventObject, peer: string): Promise<ObjectId> {
  const tree = MemberTree.create(genesis, {
    now: genesis.time,
    verifySignatures: true,
    expectedGroup: repo.group,
  });
  await saveChain(repo, tree, [tree.genesis], null, { peer, reason: 'init: genesis (founder, admin)' });
  return tree.group;
}
