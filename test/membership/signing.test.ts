// Verification encodes a received event again to get the message its signers signed
// (docs/membership.md#event-format): that is sound only because decoding accepts canonical bytes alone, so the
// event decoded from its stored bytes encodes back to exactly those bytes, and every signature verifies.

import t from 'tap';
import { verifySignature } from '../../src/crypto/ed25519.ts';
import { createJoinRequest, rotateKeyEvent } from '../../src/membership/build-event.ts';
import type { JoinRequest } from '../../src/membership/event-format.ts';
import {
  eventSigningBytes,
  joinRequestBytes,
  rotationSigningBytes,
  wireEvent,
  wireEventFromBytes,
} from '../../src/membership/signing.ts';
import { type EventObject, encodeObject } from '../../src/store/objects.ts';
import { actor, approveBody, cardOf, draft, NOW, newGroup, requestBody } from './model-helpers.ts';

const founder = actor('founder');
const tree = newGroup(founder);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The event as a receiver holds it: decoded from its stored bytes. */
const received = (event: EventObject) => wireEventFromBytes(wireEvent(event).bytes, 'event').event;

t.test('a received event encodes back to its bytes, and its signature verifies over them', async (t) => {
  const events: EventObject[] = [
    tree.genesis.event,
    draft(tree, founder, approveBody(tree, actor('a'))),
    draft(tree, founder, requestBody(tree, actor('b'))),
    draft(tree, founder, { kind: 'revoke', key: founder.key.publicKey, reason: 'é'.repeat(200), heads: [] }),
    draft(tree, founder, { kind: 'revoke', key: founder.key.publicKey, reason: '\uFEFFkicked', heads: [] }),
    draft(tree, founder, { kind: 'ignorable', name: 'opt-note' }),
  ];
  for (const event of events) {
    const decoded = received(event);
    t.equal(hex(encodeObject(decoded)), hex(wireEvent(event).bytes), `${event.kind}: same bytes`);
    t.ok(
      verifySignature(decoded.actor, eventSigningBytes(decoded), decoded.signature),
      `${event.kind}: verifies`,
    );
  }
});

t.test('the join request inside a received event gives the bytes its requester signed', async (t) => {
  const names = ['a', 'x'.repeat(31), 'y'.repeat(32), 'ü'.repeat(100), 'z'.repeat(128), '\uFEFFbob'];
  for (const name of names) {
    const who = actor(name);
    const request: JoinRequest = createJoinRequest(who.key, cardOf(who.key, name), tree.group, NOW);
    for (const kind of ['request', 'approve'] as const) {
      const body = kind === 'approve' ? { kind, request, role: 'admin' as const } : { kind, request };
      const subject = received(draft(tree, founder, body)).subject;
      const again: JoinRequest = { ...request, name: subject[1] as string, expires: subject[4] as number };
      t.ok(verifySignature(who.key.publicKey, joinRequestBytes(again), request.signature), `${kind} ${name}`);
    }
  }
});

t.test(
  "a received rotation's new-key signature verifies over its signing bytes with it emptied",
  async (t) => {
    const next = actor('next');
    const event = received(
      rotateKeyEvent(founder.key, next.key, tree.group, tree.tip(), cardOf(next.key, 'n'), NOW),
    );
    const keySignature = event.subject.at(-1) as Uint8Array;
    t.ok(verifySignature(next.key.publicKey, rotationSigningBytes(event), keySignature));
    t.ok(verifySignature(founder.key.publicKey, eventSigningBytes(event), event.signature));
  },
);
