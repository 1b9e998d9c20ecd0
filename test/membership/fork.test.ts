// The fork rule (docs/membership.md#fork-rule): two admins offline at once, resolved the same way whatever
// order events arrive in; losing events re-issued by their author only while still authorized.

import t from 'tap';
import { mergeEvents, reissueEvents } from '../../src/membership/merge-events.ts';
import type { MemberTree } from '../../src/membership/tree.ts';
import { actor, add, approve, draft, NOW, newGroup, requestBody, revoke, stateOf } from './model-helpers.ts';

const founder = actor('founder');
const alice = actor('alice');
const bob = actor('bob');
const carol = actor('carol');
const dave = actor('dave');
const erin = actor('erin');

/** A group where founder and alice are admins and bob a member; returns the tree and its tip. */
function base(): MemberTree {
  const tree = newGroup(founder);
  approve(tree, founder, alice, 'admin');
  approve(tree, founder, bob, 'member');
  return tree;
}

/** Builds the two branches in separate copies, then merges them into fresh copies in both orders. */
function bothOrders(tree: MemberTree, left: (tree: MemberTree) => void, right: (tree: MemberTree) => void) {
  const a = tree.clone();
  const b = tree.clone();
  left(a);
  right(b);
  const only = (from: MemberTree) =>
    from
      .all()
      .filter((held) => !tree.has(held.id))
      .map((held) => held.event);
  const ab = a.clone();
  mergeEvents(ab, only(b), NOW);
  const ba = b.clone();
  mergeEvents(ba, only(a), NOW);
  return { ab, ba, leftEvents: only(a), rightEvents: only(b) };
}

t.test('a revocation beats a concurrent approval with as many signers, in either order', async (t) => {
  const { ab, ba } = bothOrders(
    base(),
    (a) => revoke(a, founder, bob),
    (b) => approve(b, alice, carol),
  );
  t.equal(ab.tip().id, ba.tip().id, 'both peers pick the same tip');
  t.equal(stateOf(ab, bob), 'revoked:member');
  t.equal(stateOf(ab, carol), undefined, 'the approval is off the chain until alice re-issues it');
  const result = reissueEvents(ab, alice.key, NOW);
  t.equal(result.reissued.length, 1, 'alice is still an admin: her approval is re-issued on top');
  t.equal(stateOf(ab, carol), 'approved:member');
});

t.test('more distinct signers beats a revocation', async (t) => {
  const tree = base();
  const { ab, ba } = bothOrders(
    tree,
    (a) => revoke(a, founder, bob),
    (b) => {
      approve(b, alice, carol, 'member');
      add(b, draft(b, bob, requestBody(b, dave)));
    },
  );
  t.equal(ab.tip().id, ba.tip().id);
  t.equal(stateOf(ab, carol), 'approved:member', 'the two-signer branch (alice, bob) wins');
  t.equal(stateOf(ab, bob), 'approved:member', 'the revocation is off the chain');
  t.equal(reissueEvents(ab, founder.key, NOW).reissued.length, 1, 'its author re-issues it');
  t.equal(stateOf(ab, bob), 'revoked:member', 'so the revocation still takes effect');
});

t.test('equal weight, no revocation: the lowest event id wins', async (t) => {
  const { ab, ba } = bothOrders(
    base(),
    (a) => approve(a, founder, carol),
    (b) => approve(b, alice, dave),
  );
  t.equal(ab.tip().id, ba.tip().id);
  const winner = ab.tip().id;
  const siblings = ab.children(ab.get(winner)!.event.prev!);
  t.equal(siblings.length, 2);
  t.equal(winner, [...siblings].sort()[0], 'the winner is the sibling with the lowest id');
});

t.test(
  'a revoked admin forking from before its revocation loses, and its events are not re-issued',
  async (t) => {
    const tree = base();
    const { ab, ba } = bothOrders(
      tree,
      (a) => revoke(a, founder, alice),
      (b) => approve(b, alice, erin),
    );
    t.equal(ab.tip().id, ba.tip().id);
    t.equal(stateOf(ab, alice), 'revoked:admin');
    const result = reissueEvents(ab, alice.key, NOW);
    t.equal(result.reissued.length, 0);
    t.match(result.dropped[0]?.reason, /revoked/);
    t.equal(stateOf(ab, erin), undefined, 'no approval by the revoked admin ever applies');
  },
);

t.test('merging a prefix or events already held never moves the tip back', async (t) => {
  const tree = base();
  const tip = tree.tip().id;
  const prefix = tree
    .canonical()
    .slice(0, 2)
    .map((held) => held.event);
  const result = mergeEvents(tree, prefix, NOW);
  t.same(result, { added: [], displaced: [] });
  t.equal(tree.tip().id, tip);
});
