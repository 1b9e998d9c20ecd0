// Events between repositories on disk through the sync API (eventsSince, applyRemoteEvents): offline
// catch-up, forks resolved the same on both sides, and tampered batches refused with nothing applied.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { reissueOwnEvents } from '../../src/membership/author.ts';
import { childEvent, genesisEvent } from '../../src/membership/build-event.ts';
import { loadChain, storeGenesis } from '../../src/membership/chain-store.ts';
import { applyRemoteEvents, eventsSince, membershipTips } from '../../src/membership/exchange.ts';
import { eventId, eventSigningBytes } from '../../src/membership/signing.ts';
import type { ObjectId } from '../../src/store/object-id.ts';
import type { EventObject } from '../../src/store/objects.ts';
import { MEMBERS_REF } from '../../src/store/ref-names.ts';
import { initRepository, type Repository } from '../../src/store/repository.ts';
import { actor, approveBody, cardOf, NOW } from './model-helpers.ts';

const founder = actor('founder');
const bob = actor('bob');
const carol = actor('carol');
const dave = actor('dave');

// What this machine verified is recorded in the identity home: one for the whole file.
process.env.ENV_SYNC_HOME = mkdtempSync(path.join(tmpdir(), 'env-sync-home-'));
t.teardown(() => rmSync(process.env.ENV_SYNC_HOME!, { recursive: true, force: true }));

const roots = new WeakMap<Test, string>();
/** t.testdir() empties the directory on every call: make it once per test. */
function dir(t: Test, name: string): string {
  if (!roots.has(t)) roots.set(t, t.testdir());
  return path.join(roots.get(t)!, name);
}

async function found(t: Test, name: string): Promise<Repository> {
  const genesis = genesisEvent(founder.key, cardOf(founder.key, 'founder'), NOW);
  const repo = await initRepository(dir(t, name), {
    mode: 'secure-peer',
    group: eventId(genesis),
  });
  await storeGenesis(repo, genesis, 'founder');
  return repo;
}

async function cloneOf(t: Test, from: Repository, name: string): Promise<Repository> {
  const repo = await initRepository(dir(t, name), { mode: 'secure-peer', group: from.group });
  await applyRemoteEvents(repo, await eventsSince(from, []), NOW);
  return repo;
}

/** `to` fetches from `from`: offers its tips, receives what it lacks, applies all or nothing. */
async function fetchEvents(to: Repository, from: Repository) {
  return applyRemoteEvents(to, await eventsSince(from, await membershipTips(to)), NOW, { source: 'test' });
}

async function append(
  repo: Repository,
  by = founder,
  make = (group: ObjectId) => approveBody({ group } as never, dave),
) {
  const { tree, storedTip } = (await loadChain(repo))!;
  const event = childEvent(by.key, tree.group, tree.tip(), make(tree.group) as never, NOW);
  const result = await applyRemoteEvents(repo, [event], NOW);
  return { event, previous: storedTip, result };
}

async function registryOf(repo: Repository): Promise<string[]> {
  const { tree } = (await loadChain(repo))!;
  return tree
    .registry()
    .peers()
    .map((p) => `${p.name} ${p.state} ${p.role ?? '-'}`);
}

t.test('a peer offline during an approve and a revoke catches up on its next fetch', async (t) => {
  const a = await found(t, 'a');
  await append(a, founder, (group) => approveBody({ group } as never, bob, 'admin'));
  const b = await cloneOf(t, a, 'b');
  const c = await cloneOf(t, a, 'c');
  // c goes offline; a approves carol and b (an admin) revokes her after syncing.
  await append(a, founder, (group) => approveBody({ group } as never, carol));
  await fetchEvents(b, a);
  await append(b, bob, () => ({ kind: 'revoke', key: carol.key.publicKey, reason: 'left', heads: [] }));
  await fetchEvents(a, b);
  t.same(await registryOf(c), ['founder approved admin', 'bob approved admin'], 'c is behind');
  const result = await fetchEvents(c, a);
  t.equal(result.added.length, 2, 'c receives exactly the two events it missed, oldest first');
  t.equal(result.tip, await a.refs.read(MEMBERS_REF));
  t.same(await registryOf(c), await registryOf(a));
  t.same(await registryOf(c), ['founder approved admin', 'bob approved admin', 'carol revoked member']);
  const again = await fetchEvents(c, a);
  t.same(again.added, [], 'fetching again is a no-op');
});

t.test('two admins offline at once converge after syncing both ways; the lost approval waits', async (t) => {
  const a = await found(t, 'a');
  await append(a, founder, (group) => approveBody({ group } as never, bob, 'admin'));
  await append(a, founder, (group) => approveBody({ group } as never, carol));
  const b = await cloneOf(t, a, 'b');
  await append(a, founder, () => ({ kind: 'revoke', key: carol.key.publicKey, reason: '', heads: [] }));
  await append(b, bob, (group) => approveBody({ group } as never, dave));
  await fetchEvents(a, b);
  const fromA = await fetchEvents(b, a);
  t.equal(await a.refs.read(MEMBERS_REF), await b.refs.read(MEMBERS_REF), 'both pick the same tip');
  t.equal(fromA.displaced.length, 1, "b's approval lost the fork (the revocation wins)");
  const re = await reissueOwnEvents(b, bob.key, { now: NOW, peer: 'bob', reason: 'reissue' });
  t.equal(re.reissued.length, 0, "an approval is never re-issued behind its author's back");
  t.equal(re.waiting.length, 1, 'it waits for bob to confirm it');
  await fetchEvents(a, b);
  t.same(await registryOf(a), await registryOf(b));
  t.match((await registryOf(a)).join('\n'), /carol revoked/);
  t.notMatch((await registryOf(a)).join('\n'), /dave/);
});

t.test('tampered batches are refused with a clear error and nothing applied', async (t) => {
  const a = await found(t, 'a');
  const b = await cloneOf(t, a, 'b');
  const { event: good } = await append(a, founder, (group) => approveBody({ group } as never, bob));
  const { event: second } = await append(a, founder, (group) => approveBody({ group } as never, carol));
  const resign = (e: EventObject): EventObject => ({
    ...e,
    signature: founder.key.sign(eventSigningBytes(e)),
  });
  const other = await found(t, 'other');
  const { event: foreign } = await append(other, founder, (group) => approveBody({ group } as never, bob));
  const flipped = Uint8Array.from(good.signature);
  flipped[0]! ^= 0x80;
  const cases: [string, EventObject[], string, RegExp][] = [
    [
      'a flipped byte',
      [{ ...good, subject: [...good.subject.slice(0, 1), 'mallory', ...good.subject.slice(2)] }],
      'E_EVENT_INVALID',
      /signature does not verify/,
    ],
    ['a forged signature', [{ ...good, signature: flipped }], 'E_EVENT_INVALID', /signature does not verify/],
    [
      'a signature by a non-member',
      [{ ...good, signature: dave.key.sign(eventSigningBytes(good)) }],
      'E_EVENT_INVALID',
      /signature/,
    ],
    ['reordered events', [second, good], 'E_EVENT_INVALID', /parent event is not held/],
    ['a truncated chain (gap)', [second], 'E_EVENT_INVALID', /parent event is not held/],
    ['a replay into another group', [foreign], 'E_EVENT_INVALID', /parent event is not held/],
    [
      'a replay grafted onto this group',
      [resign({ ...foreign, prev: a.group })],
      'E_EVENT_REPLAY',
      /another group/,
    ],
    ['a future-dated event', [resign({ ...good, time: NOW + 3600 })], 'E_EVENT_INVALID', /future/],
    [
      'a good event followed by a bad one',
      [good, { ...second, signature: flipped }],
      'E_EVENT_INVALID',
      /signature/,
    ],
  ];
  for (const [name, batch, code, message] of cases) {
    const before = await b.refs.read(MEMBERS_REF);
    await t.rejects(applyRemoteEvents(b, batch, NOW), { code, message }, name);
    t.equal(await b.refs.read(MEMBERS_REF), before, `${name}: refs/members did not move`);
    for (const event of batch) t.notOk(await b.objects.has(eventId(event)), `${name}: no event was stored`);
  }
  t.equal(
    (await applyRemoteEvents(b, [good, second], NOW)).added.length,
    2,
    'the genuine events still apply',
  );
  await t.rejects(applyRemoteEvents(await found(t, 'fresh'), [good], NOW), { code: 'E_EVENT_INVALID' });
});
