// Keys enter a group through a join request, a genesis, an approve or a key rotation: each one is refused
// there, naming the peer, when its age recipient or Ed25519 key is invalid (bad checksum, low-order point,
// small-order or non-canonical key), on the one-by-one path, on the batch path and from a join request file.

import { Point } from '@noble/ed25519';
import t, { type Test } from 'tap';
import { encodeAgeRecipient } from '../../src/crypto/age-recipient.ts';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { peerIdFromPublicKey } from '../../src/crypto/peer-id.ts';
import { createJoinRequest, genesisEvent, rotateKeyEvent } from '../../src/membership/build-event.ts';
import type { PeerCard } from '../../src/membership/event-format.ts';
import { joinRequestToJson, parseJoinRequest } from '../../src/membership/join-request.ts';
import { mergeEvents } from '../../src/membership/merge-events.ts';
import type { EventSigner } from '../../src/membership/signing.ts';
import { MemberTree } from '../../src/membership/tree.ts';
import type { EventObject } from '../../src/store/objects.ts';
import { type Actor, actor, add, cardOf, draft, NOW, newGroup } from './model-helpers.ts';

const founder = actor('founder');

/** A recipient with a typo (its bech32 checksum fails), and one that is a low-order X25519 point. */
function badRecipients(signer: SigningKey): [string, string, RegExp][] {
  const good = cardOf(signer, 'x').ageRecipient;
  const typo = good.slice(0, 20) + (good[20] === 'q' ? 'p' : 'q') + good.slice(21);
  return [
    ['a bad checksum', typo, /checksum does not match/],
    ['a low-order point', encodeAgeRecipient(new Uint8Array(32)), /low-order X25519 point/],
  ];
}

/**
 * The identity point as a key: with it, R = B and s = 1 verify for every message (OpenSSL checks
 * [s]B = R + [k]A, and [k]A is the identity), so whoever holds nothing can sign as it.
 */
const IDENTITY_POINT: EventSigner = {
  publicKey: Uint8Array.from(Buffer.from(`01${'00'.repeat(31)}`, 'hex')),
  sign: () => Uint8Array.from([...Point.BASE.toBytes(), 1, ...new Uint8Array(31)]),
};
/** A non-canonical encoding (y = p + 1, i.e. the identity again), signing the same way. */
const NON_CANONICAL: EventSigner = {
  publicKey: Uint8Array.from(Buffer.from(`ee${'ff'.repeat(30)}7f`, 'hex')),
  sign: IDENTITY_POINT.sign,
};
const BAD_KEYS: [string, EventSigner, RegExp][] = [
  ['a small-order key', IDENTITY_POINT, /small-order point/],
  ['a non-canonical key', NON_CANONICAL, /y coordinate is not below/],
];

type Card = [signer: EventSigner, ageRecipient: string, reason: RegExp];

/** Each bad recipient with a good key, then each bad key with a good recipient. */
function badCards(key: SigningKey): Card[] {
  const good = cardOf(key, 'x').ageRecipient;
  return [
    ...badRecipients(key).map(([, recipient, reason]): Card => [key, recipient, reason]),
    ...BAD_KEYS.map(([, signer, reason]): Card => [signer, good, reason]),
  ];
}

function refused(
  t: Test,
  tree: MemberTree,
  event: EventObject,
  name: string,
  peerOf: Uint8Array,
  reason: RegExp,
) {
  const before = { size: tree.size, tip: tree.tip().id };
  const named = new RegExp(`${name} \\(${peerIdFromPublicKey(peerOf)}\\) is refused`);
  t.throws(() => add(tree, event), { code: 'E_EVENT_INVALID', message: named });
  t.throws(() => add(tree, event), { message: reason });
  t.same({ size: tree.size, tip: tree.tip().id }, before, 'nothing was applied');
}

function approveOf(
  tree: MemberTree,
  by: Actor,
  signer: EventSigner,
  card: Omit<PeerCard, 'key'>,
): EventObject {
  const request = createJoinRequest(signer, card, tree.group, NOW);
  return draft(tree, by, { kind: 'approve', request, role: 'member' });
}

t.test(
  'the universal signature of the identity point verifies, which is why such keys are refused',
  async (t) => {
    const { verifySignature } = await import('../../src/crypto/ed25519.ts');
    const message = new TextEncoder().encode('anything at all');
    t.ok(verifySignature(IDENTITY_POINT.publicKey, message, IDENTITY_POINT.sign(message)));
  },
);

t.test('an approve of a peer with an invalid age recipient is refused, naming the peer', async (t) => {
  const tree = newGroup(founder);
  const mallory = SigningKey.generate();
  for (const [what, recipient, reason] of badRecipients(mallory)) {
    const event = approveOf(tree, founder, mallory, {
      ...cardOf(mallory, 'mallory'),
      ageRecipient: recipient,
    });
    t.test(what, async (t) => refused(t, tree, event, 'peer mallory', mallory.publicKey, reason));
  }
});

t.test(
  'an approve or a request of a small-order or non-canonical key is refused, naming the peer',
  async (t) => {
    const tree = newGroup(founder);
    for (const [what, signer, reason] of BAD_KEYS) {
      const card = cardOf(SigningKey.generate(), 'mallory');
      t.test(`approve: ${what}`, async (t) =>
        refused(t, tree, approveOf(tree, founder, signer, card), 'peer mallory', signer.publicKey, reason),
      );
      const request = draft(tree, founder, {
        kind: 'request',
        request: createJoinRequest(signer, card, tree.group, NOW),
      });
      t.test(`request: ${what}`, async (t) =>
        refused(t, tree, request, 'peer mallory', signer.publicKey, reason),
      );
    }
  },
);

t.test('a genesis with an invalid recipient or key is refused, naming the founder', async (t) => {
  const key = SigningKey.generate();
  for (const [signer, recipient, reason] of badCards(key)) {
    const genesis = genesisEvent(signer, { ...cardOf(key, 'eve'), ageRecipient: recipient }, NOW);
    const named = new RegExp(`founder eve \\(${peerIdFromPublicKey(signer.publicKey)}\\) is refused`);
    t.throws(() => MemberTree.create(genesis, { now: NOW, verifySignatures: true }), {
      code: 'E_EVENT_INVALID',
      message: named,
    });
    t.throws(() => MemberTree.create(genesis, { now: NOW, verifySignatures: true }), { message: reason });
  }
});

t.test('a key rotation to an invalid recipient or key is refused, naming the rotating peer', async (t) => {
  const tree = newGroup(founder);
  const next = SigningKey.generate();
  for (const [what, recipient, reason] of badRecipients(next)) {
    const card = { ...cardOf(next, 'founder'), ageRecipient: recipient };
    const event = rotateKeyEvent(founder.key, next, tree.group, tree.tip(), card, NOW);
    t.test(what, async (t) =>
      refused(t, tree, event, 'the peer rotating its key', founder.key.publicKey, reason),
    );
  }
  for (const [what, signer, reason] of BAD_KEYS) {
    const event = rotateKeyEvent(founder.key, signer, tree.group, tree.tip(), cardOf(next, 'founder'), NOW);
    t.test(what, async (t) =>
      refused(t, tree, event, 'the peer rotating its key', founder.key.publicKey, reason),
    );
  }
});

t.test(
  'on the batch path (signatures checked on other threads) the same events are refused the same way',
  async (t) => {
    const tree = newGroup(founder);
    const lowOrder = encodeAgeRecipient(new Uint8Array(32));
    const cases: [EventObject, RegExp][] = [
      [
        approveOf(tree, founder, IDENTITY_POINT, cardOf(SigningKey.generate(), 'mallory')),
        /small-order point/,
      ],
      [
        approveOf(tree, founder, SigningKey.generate(), {
          ...cardOf(SigningKey.generate(), 'mallory'),
          ageRecipient: lowOrder,
        }),
        /low-order X25519 point/,
      ],
    ];
    for (const [event, reason] of cases) {
      t.throws(() => mergeEvents(tree.clone(), [event], NOW), {
        code: 'E_EVENT_INVALID',
        message: /peer mallory \([A-Z2-7-]+\) is refused/,
      });
      t.throws(() => mergeEvents(tree.clone(), [event], NOW), { message: reason });
    }
  },
);

t.test(
  'a join request file with an invalid recipient or key is refused, naming the peer and the file',
  async (t) => {
    const tree = newGroup(founder);
    const mallory = SigningKey.generate();
    const files: Card[] = [
      ...badCards(mallory),
      [mallory, `age1${'q'.repeat(58)}`, /checksum does not match|low-order/],
    ];
    for (const [signer, recipient, reason] of files) {
      const request = createJoinRequest(
        signer,
        { ...cardOf(mallory, 'mallory'), ageRecipient: recipient },
        tree.group,
        NOW,
      );
      const text = JSON.stringify(joinRequestToJson(request));
      t.throws(() => parseJoinRequest(text, 'bad.req'), {
        code: 'E_EVENT_INVALID',
        message: new RegExp(
          `^bad\\.req: not a valid join request \\(peer mallory \\(${peerIdFromPublicKey(signer.publicKey)}\\) is refused: `,
        ),
      });
      t.throws(() => parseJoinRequest(text, 'bad.req'), { message: reason });
    }
  },
);
