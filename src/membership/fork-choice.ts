// The fork rule (docs/membership.md#the-fork-rule): the canonical chain is a walk from the genesis that, at
// each event, picks one of its children by comparing those children only, against the registry the walk has
// derived so far. A pure function of the set of held events: peers holding the same events agree.

import type { ObjectId } from '../store/object-id.ts';
import type { HeldEvent } from './event-format.ts';
import { eventKeys, hex, type Registry } from './registry.ts';
import { checkAuthorized } from './rules.ts';

export interface TreeView {
  readonly group: ObjectId;
  get(id: ObjectId): HeldEvent | undefined;
  children(id: ObjectId): readonly ObjectId[];
}

export interface CanonicalWalk {
  /** From the genesis to the tip; index = seq. */
  readonly chain: readonly HeldEvent[];
  /** The registry at the tip as the walk derived it. */
  readonly state: Registry;
}

/** A revocation below a fork: it kills `target`'s events that are not its ancestors (docs: pinned history). */
interface Revocation {
  readonly held: HeldEvent;
  /** The key it revokes (a revoke's subject; a rotate-key's old key), in hex. */
  readonly target: string;
}

/**
 * Walks from the genesis. At each event, a child is a candidate only if it passes every rule against the
 * walk's registry (a key revoked or rotated away on the walk signs nothing) and its signer is not revoked by a
 * revocation elsewhere under the same event (its signer's history is pinned to that revocation's ancestors).
 * Among candidates: more admins signing wins, then a revocation, then the lowest id. Equal-weight revocations
 * all apply; signers revoked by each other all end revoked, and the walk stops there.
 */
export function walkCanonical(tree: TreeView, genesis: HeldEvent, genesisState: Registry): CanonicalWalk {
  const chain = [genesis];
  const state = genesisState.clone();
  for (let at = genesis; ; ) {
    // Children in id order: every choice below is then independent of the order events arrived in.
    const kids = tree
      .children(at.id)
      .map((id) => tree.get(id)!)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const valid = kids.filter((kid) => passes(kid, at, state, tree.group));
    const revocations = kids.length > 1 ? revocationsBelow(tree, kids) : [];
    const pinned = new Map<HeldEvent, Revocation & { under: HeldEvent }>();
    for (const kid of valid) {
      const pin = pinningRevocation(kid, revocations, state);
      if (pin !== undefined) pinned.set(kid, pin);
    }
    const candidates = valid.filter((kid) => !pinned.has(kid));
    // A pinning revocation under a child that cannot win (pinned out itself: two signers revoking each other)
    // is never reached by the walk, so it applies here: every such signer ends revoked, whoever wins.
    for (const pin of pinned.values()) {
      if (!candidates.includes(pin.under)) state.revokeKey(pin.target, pin.held);
    }
    if (candidates.length === 0) return { chain, state };
    const winner = pickChild(candidates, state);
    state.apply(winner);
    if (winner.body.kind === 'revoke') applyTiedRevocations(winner, candidates, at, state, tree.group);
    chain.push(winner);
    at = winner;
  }
}

function passes(held: HeldEvent, parent: HeldEvent, state: Registry, group: ObjectId): boolean {
  // A revocation of a key the walk already revoked (through a fork's pins) changes nothing but is no reason
  // to stop the chain: it stays a candidate if its signer is still an admin.
  if (held.body.kind === 'revoke' && state.byKey(held.body.key)?.state === 'revoked') {
    const signer = state.byKey(held.event.actor);
    return signer?.state === 'approved' && signer.role === 'admin';
  }
  try {
    checkAuthorized(held, eventKeys(held.event, held.body), parent, state, group);
    return true;
  } catch {
    return false;
  }
}

/** The number of admins in `state` who signed `held` (its signer, 0 or 1). */
export function weight(held: HeldEvent, state: Registry): number {
  const signer = state.byKey(held.event.actor);
  return signer?.state === 'approved' && signer.role === 'admin' ? 1 : 0;
}

/** The rule among siblings: weight, then a revocation, then the lowest id. Never a clock. */
export function pickChild(candidates: readonly HeldEvent[], state: Registry): HeldEvent {
  let best = candidates[0]!;
  for (const kid of candidates.slice(1)) if (beats(kid, best, state)) best = kid;
  return best;
}

function beats(a: HeldEvent, b: HeldEvent, state: Registry): boolean {
  const wa = weight(a, state);
  const wb = weight(b, state);
  if (wa !== wb) return wa > wb;
  const ra = a.body.kind === 'revoke';
  const rb = b.body.kind === 'revoke';
  if (ra !== rb) return ra;
  return a.id < b.id;
}

/** Sibling revocations as heavy as the winner apply too, each if it still passes the rules after the others. */
function applyTiedRevocations(
  winner: HeldEvent,
  candidates: readonly HeldEvent[],
  parent: HeldEvent,
  state: Registry,
  group: ObjectId,
): void {
  const top = weight(winner, state);
  for (const other of candidates) {
    if (other === winner || other.body.kind !== 'revoke' || weight(other, state) !== top) continue;
    if (passes(other, parent, state, group)) state.apply(other);
  }
}

/** Every revoke and rotate-key under `kids` (the children of one event), with the subtree it lies in. */
function revocationsBelow(tree: TreeView, kids: readonly HeldEvent[]): (Revocation & { under: HeldEvent })[] {
  const found: (Revocation & { under: HeldEvent })[] = [];
  for (const kid of kids) {
    for (const held of subtree(tree, kid)) {
      if (held.body.kind === 'revoke') found.push({ held, target: hex(held.body.key), under: kid });
      if (held.body.kind === 'rotate-key') found.push({ held, target: hex(held.event.actor), under: kid });
    }
  }
  return found.sort((a, b) => (a.held.id < b.held.id ? -1 : 1));
}

function* subtree(tree: TreeView, root: HeldEvent): Generator<HeldEvent> {
  const stack = [root];
  while (stack.length > 0) {
    const held = stack.pop()!;
    yield held;
    for (const id of tree.children(held.id)) stack.push(tree.get(id)!);
  }
}

/**
 * A revocation of `kid`'s signer under a sibling of `kid`, made by a key the walk still trusts: `kid` then
 * lies outside the history that revocation accepted, so its signer's word no longer counts there.
 */
function pinningRevocation(
  kid: HeldEvent,
  revocations: readonly (Revocation & { under: HeldEvent })[],
  state: Registry,
): (Revocation & { under: HeldEvent }) | undefined {
  const signer = hex(kid.event.actor);
  // revocations are in id order (revocationsBelow sorts them): the first that qualifies is chosen.
  return revocations.find(({ held, target, under }) => {
    if (target !== signer || under === kid) return false;
    const by = state.byKey(held.event.actor);
    if (by?.state !== 'approved') return false;
    return held.body.kind === 'rotate-key' || by.role === 'admin';
  });
}
