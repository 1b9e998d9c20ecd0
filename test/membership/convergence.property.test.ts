// Property: six peers (three admins, three members) approving and revoking concurrently, some of them forking
// on purpose from an older event, one of them an attacker that also signs with the keys of the peers it gets
// approved (puppets, a second admin key), syncing pairwise in random orders: all end with the same chain and registry, a revocation by a still-trusted admin holds, and no
// revoked key regains a role or signs an event on the chain after its revocation.

import fc from 'fast-check';
import t from 'tap';
import type { Role } from '../../src/membership/event-format.ts';
import { missingEvents } from '../../src/membership/exchange.ts';
import { mergeEvents, reissueEvents } from '../../src/membership/merge-events.ts';
import { hex } from '../../src/membership/registry.ts';
import type { MemberTree } from '../../src/membership/tree.ts';
import type { EventObject } from '../../src/store/objects.ts';
import { actor, add, approve, approveBody, draft, NOW, newGroup } from './model-helpers.ts';

const PEERS = ['founder', 'p1', 'p2', 'p3', 'p4', 'p5'].map(actor);
const ROLES: Role[] = ['admin', 'admin', 'admin', 'member', 'member', 'member'];
const CANDIDATES = ['c0', 'c1', 'c2', 'c3'].map(actor);
const EVERYONE = [...PEERS, ...CANDIDATES];

type Action =
  | { type: 'approve'; by: number; who: number; role: Role; back: number; as: number }
  | { type: 'revoke'; by: number; who: number; as: number }
  | { type: 'sync'; from: number; to: number };

const peer = fc.nat({ max: PEERS.length - 1 });
/** The last machine is an attacker that also holds the candidates' keys: it may sign with any (0: its own). */
const ATTACKER = PEERS.length - 1;
const as = fc.nat({ max: CANDIDATES.length });
const signer = (by: number, key: number) => (by === ATTACKER && key > 0 ? CANDIDATES[key - 1]! : PEERS[by]!);
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    type: fc.constant('approve' as const),
    by: peer,
    who: fc.nat({ max: CANDIDATES.length - 1 }),
    role: fc.constantFrom<Role>('admin', 'member'),
    // How many events below its tip the approval is built: 0 is honest; more is a deliberate fork.
    back: fc.oneof(fc.constant(0), fc.nat({ max: 4 })),
    as,
  }),
  fc.record({
    type: fc.constant('revoke' as const),
    by: peer,
    who: fc.nat({ max: EVERYONE.length - 1 }),
    as,
  }),
  fc.record({ type: fc.constant('sync' as const), from: peer, to: peer }),
);

/** `to` receives what it lacks from `from` (all or nothing), then re-issues its own displaced events. */
function sync(trees: MemberTree[], from: number, to: number): boolean {
  if (from === to) return false;
  const target = trees[to]!;
  const haves = [target.tip().id, ...target.leaves(), target.group];
  const events = missingEvents(trees[from]!, haves).map((held) => held.event);
  const next = target.clone();
  const merged = mergeEvents(next, events, NOW);
  const reissued = reissueEvents(next, PEERS[to]!.key, NOW).reissued;
  trees[to] = next;
  return merged.added.length + reissued.length > 0;
}

/**
 * Peer `i` authors an event. On its tip (back = 0) it keeps the event only if the fork rule puts it on the chain,
 * as the CLI does; a deliberate fork from an older event is kept whatever the rule says (an attacker's).
 */
function author(trees: MemberTree[], i: number, make: (tree: MemberTree) => EventObject, back: number): void {
  const next = trees[i]!.clone();
  try {
    const held = add(next, make(next));
    if (held !== null && (back > 0 || next.isCanonical(held.id))) trees[i] = next;
  } catch (error) {
    if (!(error as { code?: string }).code?.startsWith('E_')) throw error;
  }
}

function registryOf(tree: MemberTree): string[] {
  return tree
    .registry()
    .peers()
    .map((r) => `${r.peerId} ${r.state} ${r.role ?? '-'}`);
}

t.test('every peer converges to one registry, and revocations by trusted admins hold', async (t) => {
  const founding = newGroup(PEERS[0]!);
  for (const [i, p] of PEERS.entries()) if (i > 0) approve(founding, PEERS[0]!, p, ROLES[i]);
  fc.assert(
    fc.property(
      fc.array(action, { minLength: 5, maxLength: 40 }),
      fc.shuffledSubarray([...PEERS.keys()], { minLength: PEERS.length, maxLength: PEERS.length }),
      (actions, order) => {
        const trees = PEERS.map(() => founding.clone());
        for (const a of actions) {
          if (a.type === 'sync') sync(trees, a.from, a.to);
          else if (a.type === 'approve') {
            const who = CANDIDATES[a.who]!;
            const make = (tree: MemberTree) => {
              const chain = tree.canonical();
              const parent = chain[Math.max(0, chain.length - 1 - a.back)]!;
              return draft(tree, signer(a.by, a.as), approveBody(tree, who, a.role), NOW, parent);
            };
            author(trees, a.by, make, a.back);
          } else {
            const body = {
              kind: 'revoke' as const,
              key: EVERYONE[a.who]!.key.publicKey,
              reason: '',
              heads: [],
            };
            author(trees, a.by, (tree) => draft(tree, signer(a.by, a.as), body), 0);
          }
        }
        // Gossip until nothing changes: every ordered pair, in an order the property chooses.
        let quiet = false;
        for (let round = 0; round < 30 && !quiet; round++) {
          quiet = true;
          for (const [k, from] of order.entries()) {
            for (let to = 0; to < PEERS.length; to++) {
              if (sync(trees, order[(k + round) % order.length]!, (to + from) % PEERS.length)) quiet = false;
            }
          }
        }
        if (!quiet) throw new Error('gossip did not settle in 30 rounds');
        const first = trees[0]!;
        for (const tree of trees) {
          if (tree.tip().id !== first.tip().id) throw new Error('peers disagree on the tip');
          if (registryOf(tree).join('\n') !== registryOf(first).join('\n'))
            throw new Error('registries differ');
        }
        const registry = first.registry();
        for (const held of first.all()) {
          if (held.body.kind !== 'revoke') continue;
          const author = registry.byKey(held.event.actor);
          const target = registry.byKey(held.body.key);
          // The refusals a still-trusted admin's revocation may meet at the tip: it would leave no admin, or its
          // target is not a member on the winning branch at all.
          const lastAdmin = target?.role === 'admin' && registry.approvedAdmins() === 1;
          if (
            author?.state === 'approved' &&
            author.role === 'admin' &&
            target !== undefined &&
            target.state !== 'revoked' &&
            !lastAdmin
          ) {
            throw new Error(
              `a revocation by a still-trusted admin did not hold (${hex(held.body.key).slice(0, 8)})`,
            );
          }
        }
        const revokedOnChain = new Set<string>();
        for (const held of first.canonical()) {
          if (revokedOnChain.has(hex(held.event.actor))) throw new Error('a revoked key signed on the chain');
          if (held.body.kind === 'revoke') revokedOnChain.add(hex(held.body.key));
          if (held.body.kind === 'approve' && revokedOnChain.has(hex(held.body.request.key))) {
            throw new Error('a revoked peer was approved again');
          }
        }
        for (const key of revokedOnChain) {
          if (registry.peers().find((r) => hex(r.key) === key)?.state === 'approved')
            throw new Error('revoked peer approved');
        }
      },
    ),
    { numRuns: Number(process.env.MEMBERSHIP_RUNS ?? 60) },
  );
  t.pass('converged');
});
