// Pure steps shared by sync and by the in-memory model the property tests drive: add a batch of events to a
// tree under the fork rule, and re-issue one author's events that the fork rule left off the chain.

import { isEnvSyncError } from '../errors.ts';
import type { EventObject } from '../store/objects.ts';
import { childEvent } from './build-event.ts';
import type { EventBody, HeldEvent } from './event-format.ts';
import { hex } from './registry.ts';
import { asWireEvent, type EventSigner, type WireEvent } from './signing.ts';
import type { MemberTree } from './tree.ts';

/** What a batch knows of its events before the rules run (batch-verify.ts). */
export interface Prechecked {
  /** The event's parsed body, if the batch has it. */
  body(wire: WireEvent): EventBody | undefined;
  /** True when every signature the event carries verified already: the rules then skip them. */
  verified(wire: WireEvent): boolean;
}

export interface MergeResult {
  /** Events new to the tree, in the order added. */
  readonly added: readonly HeldEvent[];
  /** Events that were on the canonical chain before and are not now. */
  readonly displaced: readonly HeldEvent[];
}

/**
 * Adds `events` (parents before children) to `tree`, checking every rule, and every signature `prechecked`
 * does not vouch for (mergeVerified). Throws at the first bad event; the tree may then hold part of the batch,
 * so callers work on a fresh or cloned tree and discard it on error (all or nothing).
 */
export function mergeEvents(
  tree: MemberTree,
  events: readonly (EventObject | WireEvent)[],
  now: number,
  prechecked?: Prechecked,
): MergeResult {
  const before = tree.tip();
  const added: HeldEvent[] = [];
  const verify = { now, verifySignatures: true };
  const skip = { now, verifySignatures: false };
  for (const item of events) {
    const wire = asWireEvent(item);
    const options = prechecked?.verified(wire) ? skip : verify;
    const held = tree.add(wire, options, prechecked?.body(wire));
    if (held !== null) added.push(held);
  }
  if (added.length === 0 || tree.isCanonical(before.id)) return { added, displaced: [] };
  // The old tip left the chain: everything from it back to the fork point was displaced.
  const displaced: HeldEvent[] = [];
  for (let at: HeldEvent | undefined = before; at !== undefined && !tree.isCanonical(at.id); ) {
    displaced.push(at);
    at = at.event.prev === null ? undefined : tree.get(at.event.prev);
  }
  return { added, displaced: displaced.reverse() };
}

export interface ReissueResult {
  readonly reissued: readonly HeldEvent[];
  readonly dropped: readonly { readonly event: HeldEvent; readonly reason: string }[];
}

/**
 * Re-issues on the canonical tip, oldest first, every held event `signer` authored that is not on the
 * canonical chain (it lost a fork, now or earlier). Each applies only if it still passes every rule there:
 * an approve of a since-revoked peer does not, nor one already applied on the winning branch, nor an approve
 * whose join request has expired. Rotations need the new key too and are reported as dropped.
 */
export function reissueEvents(tree: MemberTree, signer: EventSigner, now: number): ReissueResult {
  const reissued: HeldEvent[] = [];
  const dropped: { event: HeldEvent; reason: string }[] = [];
  for (const held of offChainEvents(tree, signer.publicKey)) {
    const body = held.body;
    if (body.kind === 'genesis' || body.kind === 'rotate-key') {
      dropped.push({ event: held, reason: `a ${body.kind} event cannot be re-issued` });
      continue;
    }
    const tip = tree.tip();
    try {
      const event = childEvent(signer, tree.group, tip, body, Math.max(now, tip.event.time));
      reissued.push(tree.add(event, { now, verifySignatures: true })!);
    } catch (error) {
      if (!isEnvSyncError(error)) throw error;
      dropped.push({ event: held, reason: error.message });
    }
  }
  return { reissued, dropped };
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
