// The membership checkpoint (.env-sync/members-checkpoint) is a cache: whatever state it is in — fresh,
// missing, stale, corrupt — the registry and chain a peer ends with are the ones a full load derives.

import { createHash } from 'node:crypto';
import { promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { childEvent, genesisEvent } from '../../src/membership/build-event.ts';
import { CHECKPOINT_FILE } from '../../src/membership/chain-checkpoint.ts';
import { loadChain, loadChainHead, storeGenesis } from '../../src/membership/chain-store.ts';
import { applyRemoteEvents } from '../../src/membership/exchange.ts';
import { eventId } from '../../src/membership/signing.ts';
import type { ObjectId } from '../../src/store/object-id.ts';
import { type EventObject, encodeObject } from '../../src/store/objects.ts';
import { MEMBERS_REF } from '../../src/store/ref-names.ts';
import { initRepository, type Repository } from '../../src/store/repository.ts';
import { type Actor, actor, approveBody, cardOf, NOW } from './model-helpers.ts';

const founder = actor('founder');
const admin = actor('admin');
const people = Array.from({ length: 4 }, (_, i) => actor(`p${i}`));

const genesis = genesisEvent(founder.key, cardOf(founder.key, 'founder'), NOW);
const roots = new WeakMap<Test, string>();

async function found(t: Test, name = 'repo'): Promise<Repository> {
  // t.testdir() empties the directory on every call: make it once per test.
  if (!roots.has(t)) roots.set(t, t.testdir());
  const repo = await initRepository(path.join(roots.get(t)!, name), {
    mode: 'secure-peer',
    group: eventId(genesis),
  });
  await storeGenesis(repo, genesis, 'founder');
  return repo;
}

/** A signed event on the repository's canonical tip (or on `parent`), not yet applied. */
async function next(repo: Repository, by: Actor, make: 'approve' | 'revoke', who: Actor, parent?: ObjectId) {
  const { tree } = (await loadChain(repo, { now: NOW }))!;
  const body =
    make === 'approve'
      ? approveBody(tree, who, who === admin ? 'admin' : 'member')
      : ({ kind: 'revoke', key: who.key.publicKey, reason: '' } as const);
  return childEvent(by.key, tree.group, parent === undefined ? tree.tip() : tree.get(parent)!, body, NOW);
}

const file = (repo: Repository): string => path.join(repo.dir, CHECKPOINT_FILE);

/** What a full load derives: the canonical chain's ids and every registry record. */
async function fromScratch(repo: Repository) {
  const { tree } = (await loadChain(repo, { now: NOW }))!;
  return { tip: tree.tip().id, peers: tree.registry().peers(), held: tree.heldIds().sort() };
}

async function fromHead(repo: Repository) {
  const head = (await loadChainHead(repo, NOW))!;
  return {
    resumed: head.resumed,
    state: { tip: head.tree.tip().id, peers: head.tree.registry().peers(), held: head.tree.heldIds().sort() },
  };
}

async function grow(repo: Repository): Promise<void> {
  await applyRemoteEvents(repo, [await next(repo, founder, 'approve', admin)], NOW);
  for (const who of people.slice(0, 2))
    await applyRemoteEvents(repo, [await next(repo, admin, 'approve', who)], NOW);
  await applyRemoteEvents(repo, [await next(repo, founder, 'revoke', people[0]!)], NOW);
}

t.test('every save writes a 0600 checkpoint that resumes to the registry a full load derives', async (t) => {
  const repo = await found(t);
  await grow(repo);
  t.equal(statSync(file(repo)).mode & 0o777, 0o600);
  const head = await fromHead(repo);
  t.ok(head.resumed, 'the checkpoint is used');
  t.same(head.state, await fromScratch(repo));
  t.equal(head.state.tip, await repo.refs.read(MEMBERS_REF));
});

/** The journal's records (docs/membership.md#checkpoint): one JSON per line after a 16-hex-digit checksum. */
const records = (text: string): Record<string, unknown>[] =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line.slice(17)));
const journal = (recs: readonly Record<string, unknown>[]): string =>
  recs
    .map((record) => {
      const json = JSON.stringify(record);
      return `${createHash('sha256').update(json).digest('hex').slice(0, 16)} ${json}\n`;
    })
    .join('');

t.test('a missing, corrupt, torn or stale checkpoint is recomputed, with the same registry', async (t) => {
  const repo = await found(t);
  await grow(repo);
  const stale = await fs.readFile(file(repo));
  await applyRemoteEvents(repo, [await next(repo, admin, 'approve', people[2]!)], NOW);
  const good = await fs.readFile(file(repo));
  const text = good.toString();
  const [base, ...deltas] = records(text);
  t.ok(deltas.length > 0, 'the last saves appended deltas');
  const last = deltas.at(-1)!;
  const baseRegistry = base!.registry as { peers: unknown[] };
  const cases: [string, (() => Promise<void>) | string | Buffer][] = [
    ['missing', () => fs.rm(file(repo))],
    ['empty', ''],
    ['truncated', good.subarray(0, good.length / 2)],
    ['torn last append (no newline)', good.subarray(0, good.length - 1)],
    ['torn last append (half a line)', good.subarray(0, good.length - 40)],
    ['not JSON', 'garbage\n'],
    [
      'a flipped byte in the last delta',
      text.slice(0, -30) + (text.at(-30) === 'a' ? 'b' : 'a') + text.slice(-29),
    ],
    ['zeros where the last append was', Buffer.concat([stale, Buffer.alloc(good.length - stale.length)])],
    ['stale (an older tip)', stale],
    ['a delta that does not follow the record before it', journal([base!, last])],
    ['a delta without its base', journal(deltas)],
    ['another version', journal([{ ...base, version: 3 }, ...deltas])],
    ['another group', journal([{ ...base, group: base!.tip }, ...deltas])],
    ['a held id that is not an id', journal([base!, ...deltas.slice(0, -1), { ...last, held: ['zz'] }])],
    [
      'a malformed peer',
      journal([{ ...base, registry: { ...baseRegistry, peers: [{ key: 1 }] } }, ...deltas]),
    ],
    ['fork tips that do not match', journal([base!, ...deltas.slice(0, -1), { ...last, forks: [last.tip] }])],
    ['a directory in its place', () => fs.rm(file(repo)).then(() => fs.mkdir(file(repo)))],
  ];
  for (const [name, damage] of cases) {
    if (typeof damage === 'function') await damage();
    else await fs.writeFile(file(repo), damage);
    const head = await fromHead(repo).catch((error: Error) => error);
    if (head instanceof Error) {
      t.fail(`${name}: ${head.message}`);
      continue;
    }
    t.notOk(head.resumed, `${name}: not used`);
    t.same(head.state, await fromScratch(repo), `${name}: the same registry as from scratch`);
    if (name === 'a directory in its place') await fs.rm(file(repo), { recursive: true });
    else t.ok((await fromHead(repo)).resumed, `${name}: rewritten, used next time`);
  }
});

t.test(
  'a save appends one delta of what it added; the base is rewritten once deltas outweigh it',
  async (t) => {
    const repo = await found(t);
    await grow(repo);
    await fs.rm(file(repo));
    await loadChainHead(repo, NOW); // a full load writes a base
    const before = (await fs.readFile(file(repo))).toString();
    t.equal(records(before).length, 1, 'a base record');
    const event = await next(repo, admin, 'approve', people[2]!);
    await applyRemoteEvents(repo, [event], NOW);
    const after = (await fs.readFile(file(repo))).toString();
    t.ok(after.startsWith(before), 'the base and earlier records are left as they were');
    const [delta] = records(after.slice(before.length));
    t.same(delta!.held, [eventId(event)], 'the delta holds the new event');
    t.same(
      (delta!.registry as { peers: { name: string }[] }).peers.map((peer) => peer.name),
      [people[2]!.name],
      'and the one record it changed',
    );
    t.same((await fromHead(repo)).state, await fromScratch(repo));
    // Appending until the deltas outweigh the base compacts the journal into one base record again.
    let lines = records(after).length;
    for (let i = 0; i < 8 && lines > 1; i++) {
      const who = actor(`extra${i}`);
      await applyRemoteEvents(repo, [await next(repo, founder, 'approve', who)], NOW);
      lines = records((await fs.readFile(file(repo))).toString()).length;
    }
    t.equal(lines, 1, 'compacted');
    const head = await fromHead(repo);
    t.ok(head.resumed);
    t.same(head.state, await fromScratch(repo));
  },
);

t.test(
  'a crash between moving refs/members and appending leaves a stale journal, then rebuilt',
  async (t) => {
    const repo = await found(t);
    await grow(repo);
    const journalBefore = await fs.readFile(file(repo));
    await applyRemoteEvents(repo, [await next(repo, admin, 'approve', people[2]!)], NOW);
    await fs.writeFile(file(repo), journalBefore); // as if the process died before its append
    const head = await fromHead(repo);
    t.notOk(head.resumed, 'the journal names an older tip: not used');
    t.same(head.state, await fromScratch(repo));
    t.ok((await fromHead(repo)).resumed, 'rewritten');
  },
);

t.test('applying events over any checkpoint state gives what applying without one gives', async (t) => {
  const withCheckpoint = await found(t, 'with');
  const without = await found(t, 'without');
  const events: EventObject[] = [];
  const apply = async (event: EventObject, damage: boolean) => {
    events.push(event);
    if (damage) await fs.writeFile(file(withCheckpoint), 'not a checkpoint');
    await applyRemoteEvents(withCheckpoint, [event], NOW);
    await fs.rm(file(without), { force: true });
    await applyRemoteEvents(without, [event], NOW);
  };
  await apply(await next(without, founder, 'approve', admin), false);
  await apply(await next(without, admin, 'approve', people[0]!), true);
  await apply(await next(without, founder, 'revoke', people[0]!), false);
  t.same(await fromScratch(withCheckpoint), await fromScratch(without));
  t.same((await fromHead(withCheckpoint)).state, await fromScratch(without));
});

t.test('events forking before the tip, and chains with losing branches, keep every fork rule', async (t) => {
  const repo = await found(t);
  await grow(repo);
  const { tree } = (await loadChain(repo, { now: NOW }))!;
  const forkPoint = tree.canonical().at(-2)!.id;
  // A revoke of someone else on the tip's parent: a fork the checkpoint cannot decide; the whole chain is read.
  const rival = await next(repo, admin, 'revoke', people[1]!, forkPoint);
  const result = await applyRemoteEvents(repo, [rival], NOW);
  t.same(result.added, [eventId(rival)]);
  const afterFork = await fromScratch(repo);
  t.same((await fromHead(repo)).state, afterFork, 'the checkpoint after the fork matches');
  // On top of the winner (resumed, with a losing branch held): the losing tip stays listed and held.
  const on = await next(repo, founder, 'approve', people[3]!);
  await applyRemoteEvents(repo, [on], NOW);
  const head = await fromHead(repo);
  t.ok(head.resumed);
  t.same(head.state, await fromScratch(repo));
  const { tree: full } = (await loadChain(repo, { now: NOW }))!;
  t.equal(full.leaves().length, 2, 'the losing branch is still held');
  t.same((await loadChainHead(repo, NOW))!.tree.leaves().sort(), full.leaves().sort());
});

t.test('a clock set back before the latest event ignores the checkpoint, as a full load would', async (t) => {
  const repo = await found(t);
  await grow(repo);
  const early = NOW - 3600;
  const full = await loadChain(repo, { now: early }).catch((error: Error) => error.message);
  const head = await loadChainHead(repo, early).catch((error: Error) => error.message);
  t.match(full, /in the future/);
  t.equal(head, full);
});

t.test('events already stored in a pack apply (a fetch above the unpack limit stores them so)', async (t) => {
  const source = await found(t, 'source');
  await grow(source);
  const { tree } = (await loadChain(source, { now: NOW }))!;
  const events = tree.canonical().map((held) => held.event);
  for (const eventsStored of [false, true]) {
    const copy = await found(t, `packed-${eventsStored}`);
    const into = copy.objects.startBatch(events.length, 1);
    for (const event of events) await into.add(eventId(event), encodeObject(event));
    await into.finish();
    const result = await applyRemoteEvents(copy, events, NOW, { eventsStored });
    t.equal(result.tip, tree.tip().id, `eventsStored ${eventsStored}: the chain applies`);
    t.same(await fromScratch(copy), await fromScratch(source));
  }
});
