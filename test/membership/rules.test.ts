// Each membership rule of docs/membership.md#rules, checked on the pure model: what is accepted, what is
// refused with which code, and that a refused event leaves the tree exactly as it was.

import t, { type Test } from 'tap';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { createJoinRequest, genesisEvent, rotateKeyEvent } from '../../src/membership/build-event.ts';
import { type JoinRequest, SKEW_SECONDS } from '../../src/membership/event-format.ts';
import { displayState } from '../../src/membership/registry.ts';
import {
  joinRequestBytes as joinBytes,
  eventSigningBytes as signingBytes,
} from '../../src/membership/signing.ts';
import type { MemberTree } from '../../src/membership/tree.ts';
import type { EventObject } from '../../src/store/objects.ts';
import {
  actor,
  add,
  approve,
  approveBody,
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

function refuses(t: Test, tree: MemberTree, event: EventObject, code: string, pattern: RegExp, now = NOW) {
  const before = { size: tree.size, tip: tree.tip().id };
  t.throws(() => add(tree, event, now), { code, message: pattern });
  t.same({ size: tree.size, tip: tree.tip().id }, before, 'nothing was applied');
}

t.test('the genesis event approves its founder as admin and its id is the group id', async (t) => {
  const tree = newGroup(founder);
  t.equal(tree.group, tree.genesis.id);
  t.equal(stateOf(tree, founder), 'approved:admin');
  t.equal(tree.genesis.event.group, null);
  t.equal(tree.genesis.event.prev, null);
});

t.test(
  'only an admin at the parent may approve; a member, a pending or an unknown peer may not',
  async (t) => {
    const tree = newGroup(founder);
    approve(tree, founder, alice, 'member');
    t.equal(stateOf(tree, alice), 'approved:member');
    refuses(t, tree, draft(tree, alice, approveBody(tree, bob)), 'E_EVENT_UNAUTHORIZED', /not an admin/);
    refuses(t, tree, draft(tree, carol, approveBody(tree, bob)), 'E_EVENT_UNAUTHORIZED', /not a member/);
    add(
      tree,
      draft(tree, alice, {
        kind: 'request',
        request: (approveBody(tree, bob) as { request: JoinRequest }).request,
      }),
    );
    t.equal(stateOf(tree, bob), 'pending', 'a member may record a join request');
    refuses(t, tree, draft(tree, bob, approveBody(tree, carol)), 'E_EVENT_UNAUTHORIZED', /not approved/);
    approve(tree, founder, bob, 'admin');
    t.equal(stateOf(tree, bob), 'approved:admin', 'an admin approves a pending peer');
  },
);

t.test('authorization uses the state at the parent, not the newest state', async (t) => {
  const tree = newGroup(founder);
  const approvedBob = approve(tree, founder, bob, 'admin');
  revoke(tree, founder, bob);
  refuses(t, tree, draft(tree, bob, approveBody(tree, carol)), 'E_PEER_REVOKED', /revoked/);
  // On top of the event that approved him, bob is still an admin: this is a fork, accepted and then judged.
  const forked = add(tree, draft(tree, bob, approveBody(tree, carol), NOW, approvedBob));
  t.ok(forked, 'an event authorized at its own parent is held');
  t.equal(stateOf(tree, bob), 'revoked:admin', 'the revocation wins the fork');
  t.equal(stateOf(tree, carol), undefined, 'the approval bob signed on the losing branch does not apply');
});

t.test('seq must be the parent seq plus one, and prev must be held', async (t) => {
  const tree = newGroup(founder);
  const good = draft(tree, founder, approveBody(tree, alice));
  const skipped = { ...good, seq: 2, signature: new Uint8Array(0) };
  refuses(
    t,
    tree,
    { ...skipped, signature: founder.key.sign(signingBytes(skipped)) },
    'E_EVENT_INVALID',
    /seq 2/,
  );
  // Another id than the genesis's (replacing its first digit with 'f' kept it whenever it began with 'f').
  const other = good.group!.replace(/^./, (c) => (c === 'f' ? '0' : 'f')) as typeof good.group;
  const orphan = { ...good, prev: other };
  refuses(t, tree, orphan, 'E_EVENT_INVALID', /parent event is not held/);
});

t.test(
  'time: at most the skew in the future, at most the skew before the parent, never too old',
  async (t) => {
    const tree = newGroup(founder);
    refuses(
      t,
      tree,
      draft(tree, founder, approveBody(tree, alice), NOW + SKEW_SECONDS + 1),
      'E_EVENT_INVALID',
      /future/,
    );
    t.ok(add(tree, draft(tree, founder, approveBody(tree, alice), NOW + SKEW_SECONDS)), 'within the skew');
    refuses(
      t,
      tree,
      draft(tree, founder, approveBody(tree, bob), NOW - 1),
      'E_EVENT_INVALID',
      /before its parent/,
    );
    t.ok(
      add(tree, draft(tree, founder, approveBody(tree, bob), NOW)),
      'slightly earlier than the parent is fine',
    );
    const old = newGroup(founder, NOW - 400 * 24 * 3600);
    t.ok(
      add(
        old,
        draft(old, founder, approveBody(old, alice, 'member', NOW - 400 * 24 * 3600), NOW - 399 * 24 * 3600),
      ),
      'a year-old event is fine',
    );
  },
);

t.test('an event of another group is refused, even signed by the same founder', async (t) => {
  const one = newGroup(founder);
  const two = newGroup(founder);
  t.not(one.group, two.group, 'two groups of one founder differ (genesis nonce)');
  const foreign = draft(two, founder, approveBody(two, alice));
  refuses(t, one, foreign, 'E_EVENT_INVALID', /parent event is not held/);
  const grafted = { ...foreign, prev: one.group, signature: new Uint8Array(0) };
  refuses(
    t,
    one,
    { ...grafted, signature: founder.key.sign(signingBytes(grafted)) },
    'E_EVENT_REPLAY',
    /another group/,
  );
  t.throws(() => add(one, two.genesis.event), { code: 'E_EVENT_REPLAY' });
  // A join request signed for group two cannot be used in group one: its signature covers the group.
  const body = approveBody(two, alice);
  refuses(t, one, draft(one, founder, body), 'E_EVENT_INVALID', /join request signature/);
});

t.test('an event already held is a no-op', async (t) => {
  const tree = newGroup(founder);
  const event = draft(tree, founder, approveBody(tree, alice));
  t.ok(add(tree, event));
  const tip = tree.tip().id;
  t.equal(add(tree, event), null);
  t.equal(add(tree, tree.genesis.event), null);
  t.equal(tree.tip().id, tip);
});

t.test('an old approve re-sent after a revoke changes nothing', async (t) => {
  const tree = newGroup(founder);
  const body = approveBody(tree, alice);
  const approval = draft(tree, founder, body);
  add(tree, approval);
  revoke(tree, founder, alice);
  t.equal(add(tree, approval), null, 'the same event again is a no-op');
  refuses(t, tree, draft(tree, founder, body), 'E_PEER_REVOKED', /never approved again/);
  refuses(t, tree, draft(tree, founder, approveBody(tree, alice)), 'E_PEER_REVOKED', /never approved again/);
  t.equal(stateOf(tree, alice), 'revoked:member');
});

t.test('a join request nonce serves one key once', async (t) => {
  const tree = newGroup(founder);
  const request = (approveBody(tree, alice) as { request: JoinRequest }).request;
  add(tree, draft(tree, founder, { kind: 'request', request }));
  refuses(t, tree, draft(tree, founder, { kind: 'request', request }), 'E_EVENT_REPLAY', /nonce/);
  add(tree, draft(tree, founder, { kind: 'approve', request, role: 'member' }));
  const stolen = createJoinRequest(bob.key, cardOf(bob.key, 'bob'), tree.group, NOW);
  const reused = { ...stolen, nonce: request.nonce };
  const resigned = { ...reused, signature: bob.key.sign(joinBytes(reused)) };
  refuses(
    t,
    tree,
    draft(tree, founder, { kind: 'approve', request: resigned, role: 'member' }),
    'E_EVENT_REPLAY',
    /nonce/,
  );
});

t.test('pending peers expire: an expired request cannot be recorded or approved', async (t) => {
  const tree = newGroup(founder);
  const request = createJoinRequest(alice.key, cardOf(alice.key, 'alice'), tree.group, NOW, 60);
  add(tree, draft(tree, founder, { kind: 'request', request }));
  const record = tree.registry().byKey(alice.key.publicKey)!;
  t.equal(displayState(record, NOW), 'pending');
  t.equal(displayState(record, NOW + 61), 'expired');
  refuses(
    t,
    tree,
    draft(tree, founder, { kind: 'approve', request, role: 'member' }, NOW + 61),
    'E_EVENT_INVALID',
    /expired/,
    NOW + 61,
  );
});

t.test('revocation: admin only, known peers only, never the last admin', async (t) => {
  const tree = newGroup(founder);
  approve(tree, founder, alice, 'member');
  refuses(
    t,
    tree,
    draft(tree, alice, { kind: 'revoke', key: founder.key.publicKey, reason: '', heads: [] }),
    'E_EVENT_UNAUTHORIZED',
    /not an admin/,
  );
  refuses(
    t,
    tree,
    draft(tree, founder, { kind: 'revoke', key: carol.key.publicKey, reason: '', heads: [] }),
    'E_PEER_UNKNOWN',
    /not a known peer/,
  );
  refuses(
    t,
    tree,
    draft(tree, founder, { kind: 'revoke', key: founder.key.publicKey, reason: '', heads: [] }),
    'E_EVENT_INVALID',
    /without an admin/,
  );
  revoke(tree, founder, alice);
  refuses(
    t,
    tree,
    draft(tree, founder, { kind: 'revoke', key: alice.key.publicKey, reason: '', heads: [] }),
    'E_EVENT_INVALID',
    /already revoked/,
  );
});

t.test('rotate-key is signed by the old and the new key; the old key is revoked', async (t) => {
  const tree = newGroup(founder);
  approve(tree, founder, alice, 'admin');
  const next = SigningKey.generate();
  const card = cardOf(next, 'alice');
  const event = rotateKeyEvent(alice.key, next, tree.group, tree.tip(), card, NOW);
  const forged = { ...event, subject: [...event.subject.slice(0, -1), new Uint8Array(64)] };
  refuses(
    t,
    tree,
    { ...forged, signature: alice.key.sign(signingBytes(forged)) },
    'E_EVENT_INVALID',
    /new key did not sign/,
  );
  t.ok(add(tree, event));
  t.equal(stateOf(tree, alice), 'revoked:admin');
  const rotated = tree.registry().byKey(next.publicKey)!;
  t.match(rotated, { state: 'approved', role: 'admin', name: 'alice' });
  refuses(t, tree, draft(tree, alice, approveBody(tree, bob)), 'E_PEER_REVOKED', /revoked/);
});

t.test('unknown kinds are refused unless marked ignorable', async (t) => {
  const tree = newGroup(founder);
  const unknown = { ...draft(tree, founder, approveBody(tree, alice)), kind: 'promote', subject: [] };
  refuses(
    t,
    tree,
    { ...unknown, signature: founder.key.sign(signingBytes(unknown)) },
    'E_EVENT_INVALID',
    /unknown event kind/,
  );
  const ignorable = { ...unknown, kind: 'opt-note' };
  t.ok(
    add(tree, { ...ignorable, signature: founder.key.sign(signingBytes(ignorable)) }),
    'opt- kinds are no-ops',
  );
});

t.test('tampering: a flipped subject byte or a forged signature is refused', async (t) => {
  const tree = newGroup(founder);
  const event = draft(tree, founder, approveBody(tree, alice));
  const subject = [...event.subject];
  subject[1] = 'mallory';
  refuses(t, tree, { ...event, subject }, 'E_EVENT_INVALID', /signature does not verify/);
  const signature = Uint8Array.from(event.signature);
  signature[10]! ^= 1;
  refuses(t, tree, { ...event, signature }, 'E_EVENT_INVALID', /signature does not verify/);
  refuses(
    t,
    tree,
    { ...event, signature: carol.key.sign(signingBytes(event)) },
    'E_EVENT_INVALID',
    /signature/,
  );
  t.throws(() => newGroup(founder, NOW + SKEW_SECONDS + 5), { code: 'E_EVENT_INVALID', message: /future/ });
  const unnamed = genesisEvent(founder.key, { ...cardOf(founder.key, 'x'), name: '' }, NOW);
  t.throws(
    () => add(newGroup(founder), unnamed),
    { code: 'E_EVENT_REPLAY' },
    'another genesis is another group',
  );
});

t.test(
  'a reader signs no membership event: requests, approvals, revocations and rotations are refused',
  async (t) => {
    const tree = newGroup(founder);
    approve(tree, founder, alice, 'reader');
    t.equal(stateOf(tree, alice), 'approved:reader');
    const reader = /signed by [A-Z2-7-]{41}, a reader: a reader signs no membership event/;
    refuses(t, tree, draft(tree, alice, requestBody(tree, bob)), 'E_EVENT_UNAUTHORIZED', reader);
    refuses(t, tree, draft(tree, alice, approveBody(tree, bob)), 'E_EVENT_UNAUTHORIZED', reader);
    refuses(
      t,
      tree,
      draft(tree, alice, { kind: 'revoke', key: founder.key.publicKey, reason: '', heads: [] }),
      'E_EVENT_UNAUTHORIZED',
      reader,
    );
    const next = SigningKey.generate();
    const card = cardOf(next, 'alice');
    refuses(
      t,
      tree,
      rotateKeyEvent(alice.key, next, tree.group, tree.tip(), card, NOW),
      'E_EVENT_UNAUTHORIZED',
      reader,
    );
    revoke(tree, founder, alice);
    t.equal(stateOf(tree, alice), 'revoked:reader', 'an admin revokes a reader like any peer');
  },
);

t.test('an approval gives one of the three roles; any other role is a malformed event', async (t) => {
  const tree = newGroup(founder);
  const body = approveBody(tree, bob) as { request: JoinRequest };
  const event = draft(tree, founder, { kind: 'approve', request: body.request, role: 'owner' as 'admin' });
  refuses(t, tree, event, 'E_EVENT_INVALID', /role must be one of admin, member, reader/);
});

t.test(
  'a rename changes the signer’s name; a name another peer holds, in any case or form, is refused',
  async (t) => {
    const tree = newGroup(founder);
    approve(tree, founder, alice);
    add(tree, draft(tree, alice, { kind: 'rename', name: 'alice laptop' }));
    t.equal(tree.registry().byKey(alice.key.publicKey)!.name, 'alice laptop');
    refuses(
      t,
      tree,
      draft(tree, alice, { kind: 'rename', name: 'alice laptop' }),
      'E_EVENT_INVALID',
      /already named "alice laptop"/,
    );
    const held =
      /the name "(FOUNDER|ｆｏｕｎｄｅｒ)" is already held by [A-Z2-7-]{41}; names are unique in a group/;
    refuses(t, tree, draft(tree, alice, { kind: 'rename', name: 'FOUNDER' }), 'E_NAME_TAKEN', held);
    refuses(t, tree, draft(tree, alice, { kind: 'rename', name: 'ｆｏｕｎｄｅｒ' }), 'E_NAME_TAKEN', held);
    const twin = actor('Alice Laptop');
    refuses(t, tree, draft(tree, founder, approveBody(tree, twin)), 'E_NAME_TAKEN', /already held by/);
    refuses(t, tree, draft(tree, founder, requestBody(tree, twin)), 'E_NAME_TAKEN', /already held by/);
    add(tree, draft(tree, founder, requestBody(tree, bob)));
    refuses(
      t,
      tree,
      draft(tree, alice, { kind: 'rename', name: 'bob' }),
      'E_NAME_TAKEN',
      /already held by/,
      NOW,
    );
    revoke(tree, founder, alice);
    approve(tree, founder, twin);
    t.equal(stateOf(tree, twin), 'approved:member', "a revoked peer's name is free again");
  },
);
