// The fork rule (docs/membership.md#the-fork-rule): forks decided at the fork point's children, the same way
// whatever order events arrive in; a revocation pins the revoked key's history; dead keys sign nothing new.

import t from 'tap';
import { peerIdFromPublicKey } from '../../src/crypto/peer-id.ts';
import { rotateKeyEvent } from '../../src/membership/build-event.ts';
import { CommitChecks, commitAuthorizationProblem } from '../../src/membership/commit-authorization.ts';
import type { HeldEvent } from '../../src/membership/event-format.ts';
import { MAX_FORK_DEPTH, mergeEvents, reissueEvents } from '../../src/membership/merge-events.ts';
import { eventId } from '../../src/membership/signing.ts';
import type { MemberTree } from '../../src/membership/tree.ts';
import { commitSigningBytes, UNSIGNED } from '../../src/store/commit-signing.ts';
import type { CommitObject, EventObject } from '../../src/store/objects.ts';
import {
  type Actor,
  actor,
  add,
  approve,
  cardOf,
  draft,
  NOW,
  newGroup,
  requestBody,
  revoke,
  stateOf,
} from './model-helpers.ts';

const founder = actor('founder');
const alice = actor('alice');
const bob = actor('bob');
const carol = actor('carol');
const dave = actor('dave');
const erin = actor('erin');

/** A group where founder and alice are admins and bob a member. */
function base(): MemberTree {
  const tree = newGroup(founder);
  approve(tree, founder, alice, 'admin');
  approve(tree, founder, bob, 'member');
  return tree;
}

/** Events `from` holds that `tree` does not, parents first. */
function newIn(from: MemberTree, tree: MemberTree): EventObject[] {
  return from
    .all()
    .filter((held) => !tree.has(held.id))
    .map((held) => held.event);
}

/** Builds the two branches in separate copies, then merges them into fresh copies in both orders. */
function bothOrders(tree: MemberTree, left: (tree: MemberTree) => void, right: (tree: MemberTree) => void) {
  const a = tree.clone();
  const b = tree.clone();
  left(a);
  right(b);
  const ab = a.clone();
  const abResult = mergeEvents(ab, newIn(b, tree), NOW);
  const ba = b.clone();
  const baResult = mergeEvents(ba, newIn(a, tree), NOW);
  return { ab, ba, abResult, baResult };
}

function registryText(tree: MemberTree): string {
  return tree
    .registry()
    .peers()
    .map((r) => `${r.name} ${r.state} ${r.role ?? '-'}`)
    .join('\n');
}

t.test('a revocation beats a concurrent approval of equal weight, in either order', async (t) => {
  const { ab, ba } = bothOrders(
    base(),
    (a) => revoke(a, founder, bob),
    (b) => approve(b, alice, carol),
  );
  t.equal(ab.tip().id, ba.tip().id, 'both peers pick the same tip');
  t.equal(registryText(ab), registryText(ba));
  t.equal(stateOf(ab, bob), 'revoked:member');
  t.equal(stateOf(ab, carol), undefined, 'the approval lost the fork');
  const result = reissueEvents(ab, alice.key, NOW);
  t.equal(result.reissued.length, 0, 'an approval is not re-issued by itself');
  t.equal(result.waiting.length, 1, 'it waits for its author to confirm it');
});

t.test('an admin-signed child beats a member-signed one, and later events never flip it', async (t) => {
  const tree = base();
  const { ab, ba } = bothOrders(
    tree,
    (a) => approve(a, founder, carol),
    (b) => {
      // A member records a request, then the branch grows with more distinct signers than the other.
      add(b, draft(b, bob, requestBody(b, dave)));
      approve(b, alice, erin);
    },
  );
  t.equal(ab.tip().id, ba.tip().id);
  t.equal(stateOf(ab, carol), 'approved:member', 'weight is counted at the fork point children only');
  t.equal(stateOf(ab, erin), undefined);
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

t.test('two concurrent revocations of equal weight both apply', async (t) => {
  const tree = base();
  approve(tree, founder, carol);
  const { ab, ba } = bothOrders(
    tree,
    (a) => revoke(a, founder, bob),
    (b) => revoke(b, alice, carol),
  );
  t.equal(registryText(ab), registryText(ba));
  t.equal(stateOf(ab, bob), 'revoked:member');
  t.equal(stateOf(ab, carol), 'revoked:member');
});

t.test('two admins revoking each other both end revoked, on every peer whatever it saw first', async (t) => {
  const tree = base();
  approve(tree, founder, dave, 'admin');
  const { ab, ba, abResult, baResult } = bothOrders(
    tree,
    (a) => revoke(a, founder, alice),
    (b) => revoke(b, alice, founder),
  );
  t.equal(abResult.added.length, 1, 'the counter-revocation is taken although its signer is revoked here');
  t.equal(baResult.added.length, 1);
  t.equal(registryText(ab), registryText(ba));
  t.equal(stateOf(ab, founder), 'revoked:admin');
  t.equal(stateOf(ab, alice), 'revoked:admin');
  t.equal(stateOf(ab, dave), 'approved:admin', 'the remaining admin carries on');
  const next = approve(ab, dave, erin);
  t.ok(ab.isCanonical(next.id), 'the chain continues under the remaining admin');
});

t.test('a revoked admin cannot undo its revocation with a puppet on an old tip', async (t) => {
  // alice never fetches her revocation: she approves a second identity of hers as admin on her old tip, and
  // that puppet signs an event. The founder also keeps working after the revocation.
  const tree = base();
  const honest = tree.clone();
  revoke(honest, founder, alice);
  approve(honest, founder, carol);
  const attacker = tree.clone();
  const puppet = actor('puppet');
  approve(attacker, alice, puppet, 'admin');
  add(attacker, draft(attacker, puppet, requestBody(attacker, erin)));

  // A peer holding the revocation holds the attack's events, and none of them joins the chain.
  const informed = honest.clone();
  const merged = mergeEvents(informed, newIn(attacker, tree), NOW);
  t.equal(merged.added.length, 2);
  t.same(merged.displaced, [], 'the honest chain stays');
  t.notOk(merged.added.some((held) => informed.isCanonical(held.id)));
  t.equal(stateOf(informed, alice), 'revoked:admin');
  t.equal(stateOf(informed, puppet), undefined);

  // A peer that took the attack before hearing of the revocation converges once it does.
  const victim = attacker.clone();
  t.equal(
    stateOf(victim, puppet),
    'approved:admin',
    'before the revocation arrives, the victim follows alice',
  );
  mergeEvents(victim, newIn(honest, tree), NOW);
  t.equal(victim.tip().id, informed.tip().id, 'the victim ends on the honest chain');
  t.equal(registryText(victim), registryText(informed));
  t.equal(stateOf(victim, alice), 'revoked:admin');
  t.equal(stateOf(victim, puppet), undefined, 'the puppet never becomes a member');
  t.equal(reissueEvents(victim, alice.key, NOW).reissued.length, 0, 'nothing of alice is re-issued');
});

t.test('a fork more than the depth limit below the tip is refused, with its descendants', async (t) => {
  const tree = base();
  const forkPoint = tree.tip();
  const far = tree.clone();
  for (let i = 0; i <= MAX_FORK_DEPTH; i++) add(far, draft(far, bob, requestBody(far, actor(`p${i}`))));
  const late = tree.clone();
  approve(late, founder, carol, 'admin', forkPoint);
  add(late, draft(late, carol, requestBody(late, dave)));
  const result = mergeEvents(far, newIn(late, tree), NOW);
  t.equal(result.added.length, 0);
  t.match(result.refused, [
    { reason: new RegExp(`forks ${MAX_FORK_DEPTH + 1} events below the tip`) },
    { reason: /parent event was refused/ },
  ]);
  const near = tree.clone();
  add(near, draft(near, bob, requestBody(near, actor('one'))));
  t.equal(mergeEvents(near, newIn(late, tree), NOW).added.length, 2, 'a fork within the limit is taken');
});

t.test('an admin re-issues its own revocation that lost a fork', async (t) => {
  const tree = base();
  approve(tree, founder, carol, 'admin');
  // The revocation sits under an approval that loses to a sibling approval by the lowest id: try fresh
  // approvals until the founder's has the higher id.
  for (;;) {
    const a = tree.clone();
    const first = approve(a, founder, actor('x'));
    revoke(a, founder, bob);
    const b = tree.clone();
    const rival = approve(b, carol, actor('y'));
    if (first.id < rival.id) continue;
    const merged = a.clone();
    mergeEvents(merged, newIn(b, tree), NOW);
    t.equal(stateOf(merged, bob), 'approved:member', 'the revocation lost the fork');
    const result = reissueEvents(merged, founder.key, NOW);
    t.equal(result.reissued.length, 1, 'its author re-issues it on the winning tip');
    t.equal(stateOf(merged, bob), 'revoked:member');
    t.equal(result.waiting.length, 1, 'the lost approval waits for confirmation');
    return;
  }
});

t.test('merging a prefix or events already held never moves the tip back', async (t) => {
  const tree = base();
  const tip = tree.tip().id;
  const prefix = tree
    .canonical()
    .slice(0, 2)
    .map((held) => held.event);
  const result = mergeEvents(tree, prefix, NOW);
  t.same(result, { added: [], displaced: [], refused: [] });
  t.equal(tree.tip().id, tip);
});

t.test('a revoked admin and its puppet member cannot undo the revocation with a third child', async (t) => {
  // (Whether the founder also ends revoked depends on which of alice's two counter-revocations pins it out.)
  // founder and alice are admins, bob (alice's second identity) a member. The founder revokes alice; alice
  // answers with a counter-revocation and has bob record a request beside them, then revokes again under it.
  const tree = base();
  const honest = tree.clone();
  revoke(honest, founder, alice);
  approve(honest, founder, carol);
  const attacker = tree.clone();
  const parent = tree.tip();
  revoke(attacker, alice, founder, parent);
  const beside = add(attacker, draft(attacker, bob, requestBody(attacker, dave), NOW, parent))!;
  revoke(attacker, alice, founder, beside);
  const outcomes = [
    [honest, attacker],
    [attacker, honest],
  ].map(([first, second]) => {
    const merged = first!.clone();
    mergeEvents(merged, newIn(second!, tree), NOW);
    t.equal(stateOf(merged, alice), 'revoked:admin', 'alice stays revoked');
    t.not(stateOf(merged, dave), 'approved:member', 'nothing alice or her puppet did approves anyone');
    return registryText(merged);
  });
  t.equal(outcomes[0], outcomes[1], 'the same registry whichever side arrived first');
});

t.test('a commit by a puppet approved only on a branch off the chain is refused', async (t) => {
  const tree = base();
  const forkPoint = tree.tip();
  revoke(tree, founder, alice);
  const puppet = actor('puppet');
  const approval = approve(tree, alice, puppet, 'member', forkPoint);
  t.notOk(tree.isCanonical(approval.id), 'the approval is held but pinned out');
  const unsigned: CommitObject = {
    type: 'commit',
    snapshot: approval.id,
    parents: [],
    author: peerIdFromPublicKey(puppet.key.publicKey),
    time: NOW,
    message: 'Set API_KEY',
    members: approval.id,
    signature: UNSIGNED,
  };
  const commit = { ...unsigned, signature: puppet.key.sign(commitSigningBytes(unsigned, tree.group)) };
  // The revoked-author path (which reads the repository) is not reached: no repository is needed.
  const checks = new CommitChecks(undefined as never, tree);
  t.match(
    await commitAuthorizationProblem(checks, eventId(approval.event), commit),
    /is not a member of this group's chain/,
  );
});

t.test(
  'a key rotated away signs no new commit, even one naming an event from before the rotation',
  async (t) => {
    const tree = base();
    const before = tree.tip();
    const next = actor('bob-next');
    const rotation = add(
      tree,
      rotateKeyEvent(bob.key, next.key, tree.group, before, cardOf(next.key, 'bob'), NOW + 1, []),
    )!;
    t.ok(tree.isCanonical(rotation.id), 'the rotation is on the chain');
    const commitBy = (signer: Actor, members: HeldEvent): CommitObject => {
      const unsigned: CommitObject = {
        type: 'commit',
        snapshot: members.id,
        parents: [],
        author: peerIdFromPublicKey(signer.key.publicKey),
        time: NOW + 2,
        message: 'Set API_KEY',
        members: members.id,
        signature: UNSIGNED,
      };
      return { ...unsigned, signature: signer.key.sign(commitSigningBytes(unsigned, tree.group)) };
    };
    // With no pinned heads, the history check reads nothing from a repository.
    const checks = new CommitChecks(undefined as never, tree);
    const stale = commitBy(bob, before);
    t.match(
      await commitAuthorizationProblem(checks, eventId(rotation.event), stale),
      /its author .* was rotated away at event [0-9a-f]{12}, and the commit is not in the history that event accepted/,
    );
    t.equal(
      await commitAuthorizationProblem(checks, eventId(rotation.event), commitBy(next, rotation)),
      null,
      'the new key commits',
    );
  },
);
