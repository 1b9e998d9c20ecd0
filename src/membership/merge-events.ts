// Pure steps shared by sync and by the in-memory model the property tests drive: add a batch of events to a
// tree under the fork rule, and re-issue one author's revocations that the fork rule left off the chain.

import { isEnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import { childEvent, rotateKeyEvent } from './build-event.ts';
import type { EventBody, HeldEvent } from './event-format.ts';
import { hex } from './registry.ts';
import { asWireEvent, type EventSigner, type WireEvent } from './signing.ts';
import type { MemberTree } from './tree.ts';

/** How far below the canonical tip a new event may fork (docs/membership.md#fork-depth). */
export const MAX_FORK_DEPTH = 64;

export interface MergeResult {
  /** Events new to the tree, in the order added. */
  readonly added: readonly HeldEvent[];
  /** Events that were on the canonical chain before and are not now. */
  readonly displaced: readonly HeldEvent[];
  /** New events not taken: forking too far below the tip, or building on such a fork. */
  readonly refused: readonly { readonly id: ObjectId; readonly reason: string }[];
}

/**
 * Adds `events` (parents before children) to `tree`, checking every rule and signature. Throws at the first
 * invalid event; the tree may then hold part of the batch, so callers work on a clone and discard it on error
 * (all or nothing). Valid events that fork more than MAX_FORK_DEPTH events below the tip, and their
 * descendants, are refused and reported, not added. Events a revoked key signed elsewhere are taken and held
 * (every peer must derive the chain from the same events), but the fork rule never lets them on the chain.
 */
export function mergeEvents(
  tree: MemberTree,
  events: readonly (EventObject | WireEvent)[],
  now: number,
): MergeResult {
  const before = tree.tip();
  const forkPoints = new ForkPoints(tree);
  const added: HeldEvent[] = [];
  const refused: { id: ObjectId; reason: string }[] = [];
  const refusedIds = new Set<ObjectId>();
  for (const item of events) {
    const wire = asWireEvent(item);
    if (tree.has(wire.id)) continue;
    const reason = refusal(wire, before, forkPoints, refusedIds);
    if (reason !== null) {
      refused.push({ id: wire.id, reason });
      refusedIds.add(wire.id);
      continue;
    }
    const held = tree.add(wire, { now, verifySignatures: true });
    if (held !== null) added.push(held);
  }
  if (added.length === 0 || tree.isCanonical(before.id)) return { added, displaced: [], refused };
  // The old tip left the chain: everything from it back to the fork point was displaced.
  const displaced: HeldEvent[] = [];
  for (let at: HeldEvent | undefined = before; at !== undefined && !tree.isCanonical(at.id); ) {
    displaced.push(at);
    at = at.event.prev === null ? undefined : tree.get(at.event.prev);
  }
  return { added, displaced: displaced.reverse(), refused };
}

function refusal(
  { id, event }: WireEvent,
  tip: HeldEvent,
  forkPoints: ForkPoints,
  refusedIds: ReadonlySet<ObjectId>,
): string | null {
  if (event.prev !== null && refusedIds.has(event.prev)) return 'its parent event was refused';
  const depth = tip.event.seq - (forkPoints.seqOf(id, event.prev) ?? tip.event.seq);
  if (depth > MAX_FORK_DEPTH) return `it forks ${depth} events below the tip (at most ${MAX_FORK_DEPTH})`;
  return null;
}

/** Where events leave the canonical chain as it stood before a batch: the seq of their nearest ancestor on it. */
class ForkPoints {
  readonly #tree: MemberTree;
  readonly #seqs = new Map<ObjectId, number>();

  constructor(tree: MemberTree) {
    this.#tree = tree;
    for (const held of tree.canonical()) this.#seqs.set(held.id, held.event.seq);
  }

  /** For a new event `id` with parent `prev`; undefined when the parent is not held (the rules refuse it). */
  seqOf(id: ObjectId, prev: ObjectId | null): number | undefined {
    // Up to the nearest event whose fork point is known, then record it for every event on the way (a loop:
    // a losing branch may be thousands of events long).
    const below: ObjectId[] = [id];
    let at = prev;
    while (at !== null && !this.#seqs.has(at)) {
      const held = this.#tree.get(at);
      if (held === undefined) return undefined;
      below.push(at);
      at = held.event.prev;
    }
    if (at === null) return undefined;
    const seq = this.#seqs.get(at)!;
    for (const on of below) this.#seqs.set(on, seq);
    return seq;
  }
}

export interface ReissueResult {
  readonly reissued: readonly HeldEvent[];
  readonly dropped: readonly { readonly event: HeldEvent; readonly reason: string }[];
  /** This peer's approvals and recorded requests that lost a fork: re-run to confirm them. */
  readonly waiting: readonly HeldEvent[];
}

/**
 * Re-issues on the canonical tip, oldest first, the revocations `signer` authored that are not on the
 * canonical chain (they lost a fork, now or earlier): a revocation must not be lost to a fork. Each applies
 * only if it still passes every rule there (a peer already revoked is not revoked twice). Other events that lost
 * a fork (approvals, recorded requests) are not re-issued: they are listed as `waiting`, for their author to
 * confirm by running the command again.
 */
export function reissueEvents(
  tree: MemberTree,
  signer: EventSigner,
  now: number,
  retired: EventSigner | null = null,
): ReissueResult {
  const reissued: HeldEvent[] = [];
  const dropped: { event: HeldEvent; reason: string }[] = [];
  const waiting: HeldEvent[] = [];
  const rotation = retired === null ? null : lostRotation(tree, retired, signer);
  if (rotation !== null) {
    const tip = tree.tip();
    const { next, heads } = rotation;
    const card = { ageRecipient: next.ageRecipient, certificateFingerprint: next.certificateFingerprint };
    const event = rotateKeyEvent(
      retired!,
      signer,
      tree.group,
      tip,
      card,
      Math.max(now, tip.event.time),
      heads,
    );
    const added = tree.add(event, { now, verifySignatures: true });
    if (added !== null && tree.isCanonical(added.id)) reissued.push(added);
  }
  for (const held of offChainEvents(tree, signer.publicKey)) {
    const body = held.body;
    if (body.kind !== 'revoke') {
      if (body.kind === 'approve' || body.kind === 'request') waiting.push(held);
      continue;
    }
    // Its effect may hold already: the same revocation applied on the winning branch, or by the fork rule.
    if (tree.registry().byKey(body.key)?.state === 'revoked') continue;
    const tip = tree.tip();
    try {
      const event = childEvent(signer, tree.group, tip, body, Math.max(now, tip.event.time));
      const added = tree.add(event, { now, verifySignatures: true });
      if (added !== null && tree.isCanonical(added.id)) reissued.push(added);
      else dropped.push({ event: held, reason: 'it would not join the chain' });
    } catch (error) {
      if (!isEnvSyncError(error)) throw error;
      dropped.push({ event: held, reason: error.message });
    }
  }
  return { reissued, dropped, waiting };
}

/**
 * This peer's rotation from `retired` to `current` when a fork left it off the chain: `retired` is still the
 * approved key there and `current` unknown, so this peer could sign nothing. Re-issued first, on the tip.
 */
function lostRotation(
  tree: MemberTree,
  retired: EventSigner,
  current: EventSigner,
): Extract<EventBody, { kind: 'rotate-key' }> | null {
  const registry = tree.registry();
  if (
    registry.byKey(retired.publicKey)?.state !== 'approved' ||
    registry.byKey(current.publicKey) !== undefined
  ) {
    return null;
  }
  const target = hex(current.publicKey);
  for (const { body } of offChainEvents(tree, retired.publicKey)) {
    if (body.kind === 'rotate-key' && hex(body.next.key) === target) return body;
  }
  return null;
}

/** Held events signed by `key` that are not on the canonical chain, oldest first. */
export function offChainEvents(tree: MemberTree, key: Uint8Array): HeldEvent[] {
  const me = hex(key);
  const onChain = new Set(tree.canonical().map((held) => held.id));
  return tree
    .all()
    .filter((held) => !onChain.has(held.id) && hex(held.event.actor) === me)
    .sort((a, b) => a.event.seq - b.event.seq || (a.id < b.id ? -1 : 1));
}
