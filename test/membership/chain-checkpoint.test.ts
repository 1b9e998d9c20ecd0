// The membership checkpoint (.env-sync/members-checkpoint) is a cache: whatever state it is in — fresh,
// missing, stale, corrupt — the registry and chain a peer ends with are the ones a full load derives.

import { promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { peerIdFromPublicKey } from '../../src/crypto/peer-id.ts';
import { PARALLEL_THRESHOLD } from '../../src/membership/batch-verify.ts';
import { childEvent, genesisEvent } from '../../src/membership/build-event.ts';
import { CHECKPOINT_FILE, checkpointMismatch } from '../../src/membership/chain-checkpoint.ts';
import { loadChain, loadChainHead, storeGenesis } from '../../src/membership/chain-store.ts';
import { bucketOf } from '../../src/membership/checkpoint-records.ts';
import { applyRemoteEvents } from '../../src/membership/exchange.ts';
import { eventId } from '../../src/membership/signing.ts';
import { memberForkTips } from '../../src/store/member-fork-tips.ts';
import type { ObjectId } from '../../src/store/object-id.ts';
import { type EventObject, encodeObject } from '../../src/store/objects.ts';
import { MEMBERS_REF } from '../../src/store/ref-names.ts';
import { initRepository, type Repository } from '../../src/store/repository.ts';
import { lineOf, live, type Rec, records, rewrite } from './checkpoint-file.ts';
import { type Actor, actor, add, approveBody, cardOf, draft, NOW, newGroup } from './model-helpers.ts';

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

/** Enough peers (approved in one batch) for the checkpoint to spread them over many pages. */
async function growLarge(repo: Repository, peers = 300): Promise<void> {
  await grow(repo);
  const { tree } = (await loadChain(repo, { now: NOW }))!;
  const events: EventObject[] = [];
  for (let i = 0; i < peers; i++) {
    const body = approveBody(tree, actor(`many${i}`));
    const event = childEvent(founder.key, tree.group, tree.tip(), body, NOW);
    tree.add(event, { now: NOW, verifySignatures: false });
    events.push(event);
  }
  await applyRemoteEvents(repo, events, NOW);
}

/** The buckets (of `buckets`) of everything `event` names: its id, parent, keys, nonce, a new peer's id. */
function touchedBuckets(event: EventObject, buckets: number): Set<number> {
  const fields = [event.actor, ...event.subject].filter((f) => f instanceof Uint8Array);
  const keys = [eventId(event), event.prev!, ...fields.map((f) => Buffer.from(f).toString('hex'))];
  if (event.kind === 'approve') keys.push(peerIdFromPublicKey(event.subject[0] as Uint8Array));
  return new Set(keys.map((key) => bucketOf(key, buckets)));
}

t.test('a missing, corrupt, torn or stale checkpoint is recomputed, with the same registry', async (t) => {
  const repo = await found(t);
  await growLarge(repo, 60);
  const stale = await fs.readFile(file(repo));
  await applyRemoteEvents(repo, [await next(repo, admin, 'approve', people[2]!)], NOW);
  const good = await fs.readFile(file(repo));
  const text = good.toString();
  t.ok(good.subarray(0, stale.length).equals(stale), 'the last save appended');
  const { root, pages } = live(text);
  t.ok(pages.length > 1, 'several pages');
  const withPeers = pages.findIndex((page) => (page.peers as unknown[]).length > 0);
  const withHeld = pages.findIndex((page) => (page.held as unknown[]).length > 0);
  const [firstRef] = root.pages as [number, number, string][];
  const flipAt = (at: number): string =>
    text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1);
  const onPage = (bucket: number, change: (page: Rec) => Rec): string =>
    rewrite(
      pages.map((page, i) => (i === bucket ? change(page) : page)),
      root,
    );
  const cases: [string, (() => Promise<void>) | string | Buffer][] = [
    ['missing', () => fs.rm(file(repo))],
    ['empty', ''],
    ['truncated', good.subarray(0, good.length / 2)],
    ['torn last append (no newline)', good.subarray(0, good.length - 1)],
    ['torn last append (half a line)', good.subarray(0, good.length - 40)],
    ['not JSON', 'garbage\n'],
    ['a flipped byte in the root', flipAt(text.length - 60)],
    ['a flipped byte in a page', flipAt(firstRef![0] + 40)],
    ['zeros where the last append was', Buffer.concat([stale, Buffer.alloc(good.length - stale.length)])],
    ['stale (an older tip)', stale],
    ['a root that is not where it says', text + lineOf({ ...root, at: 0 })],
    ['a page the root does not name', rewrite(pages, root).replace(/^[0-9a-f]{16}/, '0000000000000000')],
    ['two pages swapped', rewrite(pages, root, ([a, b, ...rest]) => [b, a, ...rest])],
    ['another version', rewrite(pages, { ...root, version: 2 })],
    ['another group', rewrite(pages, { ...root, group: root.tip })],
    ['fork tips that do not match', rewrite(pages, { ...root, forks: [root.tip] })],
    [
      'a number of pages that is not a power of two',
      rewrite([...pages, { ...pages[0]!, bucket: pages.length }], root),
    ],
    ['a held id that is not an id', onPage(withHeld, (page) => ({ ...page, held: ['zz'] }))],
    ['a malformed peer', onPage(withPeers, (page) => ({ ...page, peers: [{ key: 1 }] }))],
    [
      'a peer on the page of another bucket',
      onPage(withPeers === 0 ? 1 : 0, (page) => ({ ...page, peers: pages[withPeers]!.peers })),
    ],
    [
      'the tip not held',
      onPage(bucketOf(root.tip as string, pages.length), (page) => ({
        ...page,
        held: (page.held as string[]).filter((id) => id !== root.tip),
      })),
    ],
    ['a version-2 journal', `${'0'.repeat(16)} {"type":"env-sync-members-checkpoint","version":2}\n`],
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
  await fs.writeFile(file(repo), rewrite(pages, root));
  t.ok((await fromHead(repo)).resumed, 'the file as the format describes it (the helper above) is used');
});

t.test(
  'a save appends the pages its events changed and a root; compaction rewrites the file whole',
  async (t) => {
    const repo = await found(t);
    await grow(repo);
    await fs.rm(file(repo));
    await loadChainHead(repo, NOW); // a full load writes the whole file
    const before = (await fs.readFile(file(repo))).toString();
    const whole = live(before);
    t.equal(records(before).length, whole.pages.length + 1, 'every page once, then the root');
    const event = await next(repo, admin, 'approve', people[2]!);
    await applyRemoteEvents(repo, [event], NOW);
    const after = (await fs.readFile(file(repo))).toString();
    t.ok(after.startsWith(before), 'what was there is left as it was');
    const appended = records(after.slice(before.length));
    const added = appended.slice(0, -1);
    t.ok(added.length < whole.pages.length || whole.pages.length === 1, 'only the pages it touched');
    t.ok(
      added.some((page) => (page.held as string[]).includes(eventId(event))),
      'a page holds the new event',
    );
    t.ok(
      added.some((page) => (page.peers as { name: string }[]).some((peer) => peer.name === people[2]!.name)),
      'and the record it changed',
    );
    const touched = touchedBuckets(event, whole.pages.length);
    t.ok(
      added.every((page) => touched.has(page.bucket as number)),
      'every page appended holds something the event touched',
    );
    t.same((await fromHead(repo)).state, await fromScratch(repo));
    // Appending until the appends outweigh the live pages compacts the file into one root again.
    let roots = 2;
    for (let i = 0; i < 12 && roots > 1; i++) {
      await applyRemoteEvents(repo, [await next(repo, founder, 'approve', actor(`extra${i}`))], NOW);
      roots = records((await fs.readFile(file(repo))).toString()).filter((r) => r.type !== undefined).length;
    }
    t.equal(roots, 1, 'compacted');
    const head = await fromHead(repo);
    t.ok(head.resumed);
    t.same(head.state, await fromScratch(repo));
  },
);

t.test(
  'applying an event reads only the pages it touches; a damaged one is found on first use',
  async (t) => {
    const repo = await found(t);
    await growLarge(repo);
    await fs.rm(file(repo));
    await loadChainHead(repo, NOW);
    const text = (await fs.readFile(file(repo))).toString();
    const { root, pages } = live(text);
    // Damage (without breaking its line) every page the next event does not touch.
    const event = await next(repo, founder, 'approve', actor('late'));
    const { tree: full } = (await loadChain(repo, { now: NOW }))!;
    const touched = touchedBuckets(event, pages.length);
    const refs = root.pages as [number, number, string][];
    let damaged = text;
    for (const [bucket, [offset]] of refs.entries()) {
      if (touched.has(bucket)) continue;
      damaged =
        damaged.slice(0, offset + 20) +
        (damaged[offset + 20] === 'a' ? 'b' : 'a') +
        damaged.slice(offset + 21);
    }
    t.ok(touched.size < pages.length, 'some pages are not touched');
    await fs.writeFile(file(repo), damaged);
    await applyRemoteEvents(repo, [event], NOW);
    t.ok(
      (await fs.readFile(file(repo))).toString().startsWith(damaged),
      'resumed and appended: no damage read',
    );
    // A reader asked for a key on a damaged page refuses it, removes the file, and the next load rebuilds it.
    const head = (await loadChainHead(repo, NOW, {}))!;
    t.ok(head.resumed);
    const elsewhere = full
      .registry()
      .peers()
      .find((peer) => !touched.has(bucketOf(Buffer.from(peer.key).toString('hex'), pages.length)));
    t.throws(() => head.tree.registry().byKey(elsewhere!.key), { code: 'E_CHECKPOINT_DAMAGED' });
    await t.rejects(fs.stat(file(repo)), { code: 'ENOENT' }, 'removed');
    t.same((await fromHead(repo)).state, await fromScratch(repo), 'rebuilt from the chain');
    t.ok((await fromHead(repo)).resumed);
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

t.test(
  'an id → key entry edited to lead to another peer finds nobody, and log --verify sees it',
  async (t) => {
    const mallory = actor('mallory');
    const model = newGroup(founder);
    add(model, draft(model, founder, approveBody(model, mallory)));
    add(model, draft(model, founder, { kind: 'revoke', key: mallory.key.publicKey, reason: 'left' }));
    const repo = await initRepository(path.join(t.testdir(), 'ids'), {
      mode: 'secure-peer',
      group: model.group,
    });
    await storeGenesis(repo, model.all()[0]!.event, 'founder');
    await applyRemoteEvents(
      repo,
      model
        .all()
        .slice(1)
        .map((held) => held.event),
      NOW,
    );
    await loadChainHead(repo, NOW);
    // A checksum-consistent edit: mallory's id now points at the founder's key (an approved admin).
    const file = path.join(repo.dir, CHECKPOINT_FILE);
    const { root, pages } = live(await fs.readFile(file, 'utf8'));
    const malloryId = peerIdFromPublicKey(mallory.key.publicKey);
    const founderKey = Buffer.from(founder.key.publicKey).toString('hex');
    const page = pages[bucketOf(malloryId, pages.length)]!;
    page.ids = (page.ids as [string, string][]).map(([id, key]) => [id, id === malloryId ? founderKey : key]);
    await fs.writeFile(file, rewrite(pages, root));
    const head = (await loadChainHead(repo, NOW))!;
    t.ok(head.resumed, 'the edited checkpoint is read');
    t.equal(head.tree.registry().byPeerId(malloryId), undefined, "not the founder's record: nobody");
    const full = (await loadChain(repo, { now: NOW }))!;
    t.equal(full.tree.registry().byPeerId(malloryId)?.state, 'revoked');
    const tip = (await repo.refs.read(MEMBERS_REF))!;
    t.match(
      await checkpointMismatch(repo, full.tree, { tip, forks: await memberForkTips(repo) }),
      /does not match/,
    );
  },
);

t.test(
  "a first fetch's checkpoint, written while signatures are checked, is in place after the save, and a refused batch leaves no file behind",
  async (t) => {
    const model = newGroup(founder);
    add(model, draft(model, founder, approveBody(model, admin, 'admin')));
    for (let i = 0; model.size < PARALLEL_THRESHOLD + 10; i++) {
      const who = actor(`batch-${i}`);
      add(model, draft(model, i % 2 === 0 ? founder : admin, approveBody(model, who)));
      add(model, draft(model, admin, { kind: 'revoke', key: who.key.publicKey, reason: '' }));
    }
    const events = model.canonical().map((held) => held.event);
    const fresh = (name: string) =>
      initRepository(path.join(t.testdir(), name), { mode: 'secure-peer', group: model.group });
    const leftovers = async (repo: Repository) =>
      (await fs.readdir(repo.dir)).filter((name) => name.startsWith(CHECKPOINT_FILE));

    // The last event's signature flipped: only the signature checks, not the rules, refuse the batch.
    const forged = [...events];
    const last = forged.at(-1)!;
    const signature = Uint8Array.from(last.signature);
    signature[0]! ^= 1;
    forged[forged.length - 1] = { ...last, signature };
    const refused = await fresh('refused');
    await t.rejects(applyRemoteEvents(refused, forged, NOW), { code: 'E_EVENT_INVALID' });
    t.same(await leftovers(refused), [], 'neither a checkpoint nor its temporary file');
    t.equal(await refused.refs.read(MEMBERS_REF), null);

    const accepted = await fresh('accepted');
    await applyRemoteEvents(accepted, events, NOW);
    t.same(await leftovers(accepted), [CHECKPOINT_FILE], 'the checkpoint, and no temporary file');
    t.equal(statSync(path.join(accepted.dir, CHECKPOINT_FILE)).mode & 0o777, 0o600);
    const head = await fromHead(accepted);
    t.ok(head.resumed, 'the prepared checkpoint is the one read');
    t.same(head.state, await fromScratch(accepted));
  },
);
