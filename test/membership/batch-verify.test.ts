// Large batches (a fresh peer's first fetch) are checked optimistically: signatures on worker threads while
// the rules run, from the moment each event is read when a fetch feeds them. The result, and every refusal,
// must be exactly the one-by-one merge's.

import t from 'tap';
import { mergeVerified, PARALLEL_THRESHOLD, SignatureBatch } from '../../src/membership/batch-verify.ts';
import { mergeEvents } from '../../src/membership/merge-events.ts';
import { eventSigningBytes, type WireEvent, wireEvent } from '../../src/membership/signing.ts';
import { MemberTree } from '../../src/membership/tree.ts';
import type { EventObject } from '../../src/store/objects.ts';
import { type Actor, actor, approveBody, draft, NOW, newGroup } from './model-helpers.ts';

const founder = actor('founder');
const admin = actor('admin');
const member = actor('member');

/** A chain of `length` events: two admins, a member, then approve/revoke pairs signed by both admins. */
function chain(length: number): EventObject[] {
  const tree = newGroup(founder);
  const append = (by: Actor, body: Parameters<typeof draft>[2]): void => {
    tree.add(draft(tree, by, body), { now: NOW, verifySignatures: false });
  };
  append(founder, approveBody(tree, admin, 'admin'));
  append(founder, approveBody(tree, member, 'member'));
  for (let i = 0; tree.size < length; i++) {
    const who = actor(`p${i}`);
    append(i % 2 === 0 ? founder : admin, approveBody(tree, who));
    if (tree.size < length) append(admin, { kind: 'revoke', key: who.key.publicKey, reason: '' });
  }
  return tree.canonical().map((held) => held.event);
}

const events = chain(PARALLEL_THRESHOLD + 100);
const fresh = (): MemberTree => MemberTree.create(events[0]!, { now: NOW, verifySignatures: true });

/** The message of the error one-by-one merging throws, or null. */
function sequentialError(batch: readonly EventObject[]): string | null {
  try {
    mergeEvents(fresh(), batch, NOW);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** `by` re-signs `event` (after the caller changed it), so only the change under test is wrong. */
const resign = (event: EventObject, by: Actor): EventObject => ({
  ...event,
  actor: by.key.publicKey,
  signature: by.key.sign(eventSigningBytes({ ...event, actor: by.key.publicKey })),
});

function withEvent(batch: readonly EventObject[], at: number, event: EventObject): EventObject[] {
  const copy = [...batch];
  copy[at] = event;
  return copy;
}

function flipSignature(event: EventObject): EventObject {
  const signature = Uint8Array.from(event.signature);
  signature[10]! ^= 1;
  return { ...event, signature };
}

t.test('a large valid batch gives the same chain and registry as a one-by-one merge', async (t) => {
  const { tree, merged } = await mergeVerified(fresh(), events.slice(1), NOW);
  const sequential = fresh();
  const expected = mergeEvents(sequential, events.slice(1), NOW);
  t.same(
    merged.added.map((held) => held.id),
    expected.added.map((held) => held.id),
  );
  t.same(
    tree.canonical().map((held) => held.id),
    sequential.canonical().map((held) => held.id),
  );
  t.same(tree.registry().peers(), sequential.registry().peers());
  const again = await mergeVerified(tree, events.slice(1), NOW);
  t.same(again.merged.added, [], 'events already held are no-ops');
});

t.test('a bad signature inside a large batch is refused with the error naming that event', async (t) => {
  const body = events.slice(1);
  const requestSignature = (event: EventObject): EventObject => {
    const subject = [...event.subject];
    const signature = Uint8Array.from(subject[6] as Uint8Array);
    signature[0]! ^= 1;
    subject[6] = signature;
    return resign({ ...event, subject }, founder);
  };
  const at = (seq: number): number => body.findIndex((event) => event.seq === seq);
  const approval = body.find((event) => event.seq > 400 && event.kind === 'approve')!;
  const cases: [string, EventObject[], RegExp][] = [
    [
      'a flipped event signature',
      withEvent(body, at(300), flipSignature(body[at(300)]!)),
      /#300 .*signature does not verify/,
    ],
    [
      'a flipped join request signature',
      withEvent(body, at(approval.seq), requestSignature(approval)),
      new RegExp(`#${approval.seq} .*join request signature does not verify`),
    ],
    [
      'the last event',
      withEvent(body, body.length - 1, flipSignature(body.at(-1)!)),
      /signature does not verify/,
    ],
  ];
  for (const [name, batch, message] of cases) {
    const expected = sequentialError(batch);
    t.match(expected, message, `${name}: one by one`);
    await t.rejects(
      mergeVerified(fresh(), batch, NOW),
      { code: 'E_EVENT_INVALID', message: expected! },
      name,
    );
  }
});

t.test('the first bad event is the one reported, whether its rule or a signature fails', async (t) => {
  const body = events.slice(1);
  const at = (seq: number): number => body.findIndex((event) => event.seq === seq);
  // A member signing an approval breaks a rule with every signature valid.
  const byMember = (seq: number): EventObject => resign(body[at(seq)]!, member);
  const cases: [string, EventObject[], RegExp][] = [
    ['a rule only', withEvent(body, at(450), byMember(450)), /#450 .*not an admin/],
    [
      'a rule before a bad signature',
      withEvent(withEvent(body, at(200), byMember(200)), at(500), flipSignature(body[at(500)]!)),
      /#200 .*not an admin/,
    ],
    [
      'a bad signature before a rule',
      withEvent(withEvent(body, at(200), flipSignature(body[at(200)]!)), at(500), byMember(500)),
      /#200 .*signature does not verify/,
    ],
  ];
  for (const [name, batch, message] of cases) {
    const expected = sequentialError(batch);
    t.match(expected, message, `${name}: one by one`);
    await t.rejects(mergeVerified(fresh(), batch, NOW), { message: expected! }, name);
  }
});

/** `batch` as WireEvents fed to a SignatureBatch one by one, as a fetch feeds the events it reads. */
function fed(batch: readonly EventObject[]): { wires: WireEvent[]; signatures: SignatureBatch } {
  const signatures = new SignatureBatch();
  const wires = batch.map(wireEvent);
  for (const wire of [...wires].reverse()) signatures.add(wire); // a fetch reads from the tip back
  return { wires, signatures };
}

t.test('events fed while they are read merge as a one-by-one merge does, refusals included', async (t) => {
  const body = events.slice(1);
  const ok = fed(body);
  const { tree } = await mergeVerified(fresh(), ok.wires, NOW, ok.signatures);
  const sequential = fresh();
  mergeEvents(sequential, body, NOW);
  t.same(
    tree.canonical().map((held) => held.id),
    sequential.canonical().map((held) => held.id),
  );
  t.same(tree.registry().peers(), sequential.registry().peers());

  const bad = withEvent(body, 300, flipSignature(body[300]!));
  const refused = fed(bad);
  await t.rejects(mergeVerified(fresh(), refused.wires, NOW, refused.signatures), {
    code: 'E_EVENT_INVALID',
    message: sequentialError(bad)!,
  });
});

t.test(
  'a verdict holds only for the very object fed: another with the same id is checked again',
  async (t) => {
    const body = events.slice(1);
    const { wires, signatures } = fed(body);
    // Same id, other bytes: what a caller mixing up objects (or a forged id) would hand over. Fed checks
    // passed for the genuine object; the impostor must still be verified, and fails.
    const genuine = wires[300]!;
    const forged = wireEvent(flipSignature(genuine.event));
    const impostor: WireEvent = { ...forged, id: genuine.id };
    const mixed = [...wires];
    mixed[300] = impostor;
    await t.rejects(mergeVerified(fresh(), mixed, NOW, signatures), {
      code: 'E_EVENT_INVALID',
      message: /signature does not verify/,
    });
  },
);
