// In-memory membership fixtures: signing keys, peer cards and one-call event builders over a MemberTree.
// No disk and no processes: these drive the pure model the way sync and the CLI do.

import { createHash } from 'node:crypto';
import { encodeAgeRecipient } from '../../src/crypto/age-recipient.ts';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { childEvent, createJoinRequest, genesisEvent } from '../../src/membership/build-event.ts';
import type { EventBody, HeldEvent, PeerCard, Role } from '../../src/membership/event-format.ts';
import { MemberTree } from '../../src/membership/tree.ts';
import type { EventObject } from '../../src/store/objects.ts';

export const NOW = 1_700_000_000;
/** A valid age recipient (whose secret nobody holds) and a fingerprint, derived from the key. */
export function cardOf(signer: SigningKey, name: string): Omit<PeerCard, 'key'> {
  const digest = createHash('sha256').update(signer.publicKey).digest();
  return { name, ageRecipient: encodeAgeRecipient(digest), certificateFingerprint: digest.toString('hex') };
}

export interface Actor {
  readonly name: string;
  readonly key: SigningKey;
}

export function actor(name: string): Actor {
  return { name, key: SigningKey.generate() };
}

export function newGroup(founder: Actor, time = NOW): MemberTree {
  const genesis = genesisEvent(founder.key, cardOf(founder.key, founder.name), time);
  return MemberTree.create(genesis, { now: NOW, verifySignatures: true });
}

type ChildBody = Exclude<EventBody, { kind: 'genesis' | 'rotate-key' }>;

/** A signed event on top of `parent` (default: the canonical tip), not yet added. */
export function draft(
  tree: MemberTree,
  by: Actor,
  body: ChildBody,
  time = NOW,
  parent?: HeldEvent,
): EventObject {
  return childEvent(by.key, tree.group, parent ?? tree.tip(), body, time);
}

export function add(tree: MemberTree, event: EventObject, now = NOW): HeldEvent | null {
  return tree.add(event, { now, verifySignatures: true });
}

export function approveBody(tree: MemberTree, who: Actor, role: Role = 'member', now = NOW): ChildBody {
  return {
    kind: 'approve',
    request: createJoinRequest(who.key, cardOf(who.key, who.name), tree.group, now),
    role,
  };
}

export function approve(
  tree: MemberTree,
  by: Actor,
  who: Actor,
  role: Role = 'member',
  parent?: HeldEvent,
): HeldEvent {
  return add(tree, draft(tree, by, approveBody(tree, who, role), NOW, parent))!;
}

export function revoke(tree: MemberTree, by: Actor, who: Actor, parent?: HeldEvent): HeldEvent {
  return add(
    tree,
    draft(tree, by, { kind: 'revoke', key: who.key.publicKey, reason: 'test', heads: [] }, NOW, parent),
  )!;
}

export function stateOf(tree: MemberTree, who: Actor): string | undefined {
  const record = tree.registry().byKey(who.key.publicKey);
  return record === undefined ? undefined : `${record.state}${record.role === null ? '' : `:${record.role}`}`;
}

export function requestBody(tree: MemberTree, who: Actor, now = NOW): ChildBody {
  return { kind: 'request', request: createJoinRequest(who.key, cardOf(who.key, who.name), tree.group, now) };
}
