// The signed messages verification derives from an event's received bytes (docs/membership.md#event-format)
// are exactly the ones the signers signed, which the builders compute by encoding.

import t from 'tap';
import { createJoinRequest, rotateKeyEvent } from '../../src/membership/build-event.ts';
import type { JoinRequest } from '../../src/membership/event-format.ts';
import {
  eventSigningBytes,
  joinRequestBytes,
  joinRequestBytesOf,
  rotationSigningBytesOf,
  signingBytesOf,
  wireEvent,
  wireEventFromBytes,
} from '../../src/membership/signing.ts';
import type { EventObject } from '../../src/store/objects.ts';
import { actor, approveBody, cardOf, draft, NOW, newGroup, requestBody } from './model-helpers.ts';

const founder = actor('founder');
const tree = newGroup(founder);
const bytes = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('hex'));

t.test('signing bytes from the stored bytes equal the encoding with an empty signature', async (t) => {
  const events: EventObject[] = [
    tree.genesis.event,
    draft(tree, founder, approveBody(tree, actor('a'))),
    draft(tree, founder, requestBody(tree, actor('b'))),
    draft(tree, founder, { kind: 'revoke', key: founder.key.publicKey, reason: 'é'.repeat(200), heads: [] }),
    draft(tree, founder, { kind: 'revoke', key: founder.key.publicKey, reason: '\uFEFFkicked', heads: [] }),
    draft(tree, founder, { kind: 'ignorable', name: 'opt-note' }),
  ];
  for (const event of events) {
    const wire = wireEventFromBytes(wireEvent(event).bytes, 'event');
    t.equal(bytes(signingBytesOf(wire)), bytes(eventSigningBytes(event)), event.kind);
  }
  const unsigned = wireEvent({ ...events[1]!, signature: new Uint8Array(0) });
  t.equal(signingBytesOf(unsigned), null, 'an event without a 64-byte signature has no signed message');
});

t.test('the join request inside an event gives the bytes its requester signed', async (t) => {
  const names = ['a', 'x'.repeat(31), 'y'.repeat(32), 'ü'.repeat(100), 'z'.repeat(128), '\uFEFFbob'];
  const expiries = [0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, NOW];
  for (const name of names) {
    for (const expires of expiries) {
      const who = actor(name);
      const signed = createJoinRequest(who.key, cardOf(who.key, name), tree.group, NOW);
      const request: JoinRequest = { ...signed, expires };
      for (const kind of ['request', 'approve'] as const) {
        const body = kind === 'approve' ? { kind, request, role: 'admin' as const } : { kind, request };
        const wire = wireEvent(draft(tree, founder, body));
        t.equal(
          bytes(joinRequestBytesOf(wire)),
          bytes(joinRequestBytes(request)),
          `${kind} ${name.length} ${expires}`,
        );
      }
    }
  }
});

t.test("a rotation's new-key message is its signing bytes with that signature emptied too", async (t) => {
  const next = actor('next');
  const event = rotateKeyEvent(founder.key, next.key, tree.group, tree.tip(), cardOf(next.key, 'n'), NOW);
  const expected = eventSigningBytes({
    ...event,
    subject: [...event.subject.slice(0, 3), new Uint8Array(0)],
  });
  t.equal(bytes(rotationSigningBytesOf(wireEvent(event))), bytes(expected));
});
