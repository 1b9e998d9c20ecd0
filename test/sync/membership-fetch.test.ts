// Membership events travel with every fetch, clone, pull and bundle and are applied before secrets: real CLI
// processes, one ENV_SYNC_HOME per peer, local-path and bundle remotes (docs/membership.md#sync).

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { childEvent } from '../../src/membership/build-event.ts';
import { readRawEvents, requireChain } from '../../src/membership/chain-store.ts';
import type { ObjectId } from '../../src/store/object-id.ts';
import { MEMBERS_REF } from '../../src/store/ref-names.ts';
import { openRepository } from '../../src/store/repository.ts';

import { NEWER, SECRET, world } from './member-world.ts';

t.test('approve, fetch, read; an offline peer catches up; a revoked peer reads nothing new', async (t) => {
  const w = world(t);
  await w.found('alice', 'a');

  // Bob clones: he holds the chain but is not a reader yet, and get says so (no crash).
  await w.join('bob', 'b', 'a', 'alice');
  const repoB = await openRepository(path.join(w.root, 'b'));
  t.equal(repoB.group, (await openRepository(path.join(w.root, 'a'))).group, 'the clone joined the group');
  t.equal(await repoB.refs.read(MEMBERS_REF), repoB.group, 'the clone holds the genesis as refs/members');
  // Bob's clone predates his approval: main is sealed to alice only.
  const unreadable = await w.run('bob', 'b', ['get', 'API_KEY']);
  t.equal(unreadable.code, 1);
  t.match(
    unreadable.stderr,
    /^env-sync: you \([A-Z0-9-]+\) are not a member of this group yet, so snapshot [0-9a-f]{12} cannot be read[^\n]*\n$/,
  );

  // After the approval, fetch brings the approve event and the re-sealed head; merge fast-forwards.
  const fetched = await w.ok('bob', 'b', ['fetch']);
  t.match(fetched, /^members: 1 new event \(tip [0-9a-f]{12}\)$/m, 'fetch reports the new event');
  t.match(fetched, /^main: [0-9a-f]{12}\.\.[0-9a-f]{12}$/m);
  t.match(await w.ok('bob', 'b', ['merge', 'origin/main']), /fast-forward, values now readable: 1 key\(s\)/);
  t.equal(await w.ok('bob', 'b', ['get', 'API_KEY']), `${SECRET}\n`, 'bob reads the value alice re-sealed');
  t.equal(await w.ok('bob', 'b', ['fetch']), '', 'a second fetch has nothing to say');

  // Carol joins too, then goes offline.
  await w.join('carol', 'c', 'a', 'alice');
  t.match(await w.ok('carol', 'c', ['pull']), /^members: 1 new event \(tip/m, 'her own approval');
  t.equal(await w.ok('carol', 'c', ['get', 'API_KEY']), `${SECRET}\n`);

  // While carol is away: alice revokes bob, approves dave, rotates the value.
  await w.ok('alice', 'a', [
    'peer',
    'revoke',
    (await w.list('bob', 'b')).find((p: { name: string }) => p.name === 'bob').peerId,
  ]);
  await w.join('dave', 'd', 'a', 'alice');
  await w.ok('alice', 'a', ['set', 'API_KEY'], NEWER);

  // Carol catches up on her next pull: same registry as alice, and she reads the new value.
  const caught = await w.ok('carol', 'c', ['pull']);
  t.match(caught, /^members: 2 new events \(tip [0-9a-f]{12}\)$/m, 'the revoke and the approve arrive');
  t.same(await w.list('carol', 'c'), await w.list('alice', 'a'), 'carol and alice hold the same registry');
  t.equal(await w.ok('carol', 'c', ['get', 'API_KEY']), `${NEWER}\n`);
  t.match(await w.ok('carol', 'c', ['log', '--verify']), /^verified 5 event\(s\)/);

  // Bob fetches: he learns of his revocation, and the new head is not sealed to him.
  const revoked = await w.ok('bob', 'b', ['fetch']);
  t.match(revoked, /members: \d+ new events/);
  t.same(await w.list('bob', 'b'), await w.list('alice', 'a'), 'bob holds the same registry too');
  const merge = await w.run('bob', 'b', ['merge', 'origin/main']);
  t.equal(merge.code, 1, 'bob cannot merge what he cannot read');
  t.match(merge.stderr, /you \([A-Z0-9-]+\) were revoked by alice at /);
  t.equal(await w.ok('bob', 'b', ['get', 'API_KEY']), `${SECRET}\n`, 'he keeps only what he had');

  // Dave, approved after the rotation's predecessor, reads the current value after pull.
  await w.ok('dave', 'd', ['pull']);
  t.equal(await w.ok('dave', 'd', ['get', 'API_KEY']), `${NEWER}\n`);
});

t.test('a tampered or forged event in the remote: fetch refused, no ref moved, fsck clean', async (t) => {
  const w = world(t);
  await w.found('alice', 'a');
  await w.join('bob', 'b', 'a', 'alice');
  const repoA = await openRepository(path.join(w.root, 'a'));
  const approve = (await repoA.refs.read(MEMBERS_REF))!;

  // A flipped byte in the stored approve event: the remote's store or this side's hash check refuses it.
  const file = path.join(repoA.dir, 'objects', approve.slice(0, 2), approve.slice(2));
  const original = readFileSync(file);
  const flipped = Buffer.from(original);
  flipped[flipped.length - 5]! ^= 0x01;
  writeFileSync(file, flipped);
  const before = w.refs('b');
  const refused = await w.run('bob', 'b', ['fetch']);
  t.equal(refused.code === 0, false, 'fetch of a tampered event fails');
  t.match(refused.stderr, /^env-sync: [^\n]+\n$/, 'one line');
  t.same(w.refs('b'), before, 'no ref moved');
  t.equal((await w.run('bob', 'b', ['fsck'])).code, 0, 'fsck clean');
  writeFileSync(file, original);

  // A well-formed event with a forged signature, stored under its true hash and pointed to by refs/members.
  const { tree } = await requireChain(repoA);
  const intruder = SigningKey.generate();
  const forged = childEvent(
    intruder,
    tree.group,
    tree.tip(),
    { kind: 'revoke', key: intruder.publicKey, reason: 'x', heads: [] },
    Math.floor(Date.now() / 1000),
  );
  const id = await repoA.objects.write({ ...forged, actor: tree.tip().event.actor });
  await repoA.refs.update(MEMBERS_REF, id, { peer: 'test', reason: 'forge', expected: approve });
  const forgedFetch = await w.run('bob', 'b', ['fetch']);
  t.equal(forgedFetch.code, 1);
  t.match(
    forgedFetch.stderr,
    new RegExp(
      `^env-sync: membership events from remote 'origin' refused: event #2 ${id.slice(0, 12)} \\(revoke\\): signature does not verify[^\\n]*no ref moved\\n$`,
    ),
    'the error names the event',
  );
  t.same(w.refs('b'), before, 'no ref moved');
  t.equal((await w.run('bob', 'b', ['fsck'])).code, 0, 'fsck clean');
  const repoB = await openRepository(path.join(w.root, 'b'));
  t.equal(await repoB.refs.read(MEMBERS_REF), repoB.group, 'refs/members did not move either');
});

t.test('a commit by a non-member in the remote: fetch and clone refused in secure-peer', async (t) => {
  const w = world(t);
  await w.found('alice', 'a');
  await w.join('bob', 'b', 'a', 'alice');
  await w.ok('bob', 'b', ['pull']);
  // Mallory writes into alice's repository directly (she has disk access, not membership).
  await w.ok('mallory', 'a', ['env', 'create', 'staging']);
  const before = w.refs('b');
  const refused = await w.run('bob', 'b', ['fetch']);
  t.equal(refused.code, 1);
  t.match(
    refused.stderr,
    /^env-sync: fetch from remote 'origin' refused: commit [0-9a-f]{12}: its author [A-Z2-7-]{41} was not approved at event [0-9a-f]{12}; no branch moved \(valid membership events it brought are kept\)\n$/,
  );
  t.same(w.refs('b'), before, 'no ref moved');
  // A second fetch finds the objects already stored and must refuse just the same.
  t.equal((await w.run('bob', 'b', ['fetch'])).code, 1, 'still refused when the objects are already here');
  t.same(w.refs('b'), before, 'still no ref moved');
  const clone = await w.run('carol', '.', ['clone', 'a', 'c']);
  t.equal(clone.code, 1);
  t.match(clone.stderr, /was not approved at event/);
  t.same(readdirSync(w.root).includes('c'), false, 'the failed clone left nothing');
});

t.test(
  'bundles carry the membership chain: clone from one, fetch the next approval from another',
  async (t) => {
    const w = world(t);
    await w.found('alice', 'a');
    await w.ok('alice', 'a', ['bundle', 'create', '../one.bundle']);
    t.match(
      await w.ok('bob', '.', ['clone', 'one.bundle', 'b']),
      /Membership: 1 event\(s\)[\s\S]*not a member yet/,
    );
    await w.ok('bob', 'b', ['peer', 'request', '-o', '../bob.req']);
    await w.ok('alice', 'a', ['peer', 'approve', '../bob.req']);
    await w.ok('alice', 'a', ['bundle', 'create', '../two.bundle']);
    t.match(
      await w.ok('alice', '.', ['bundle', 'verify', 'two.bundle']),
      /^membership: 2 event\(s\) verified \(signatures and rules\), 2 commit\(s\) by approved authors$/m,
    );
    await w.ok('bob', 'b', ['remote', 'add', 'usb', '../two.bundle']);
    t.match(await w.ok('bob', 'b', ['fetch', 'usb']), /^members: 1 new event/m);
    await w.ok('bob', 'b', ['merge', 'usb/main']);
    t.equal(await w.ok('bob', 'b', ['get', 'API_KEY']), `${SECRET}\n`);
    t.match(await w.ok('bob', 'b', ['fetch', 'usb']), /^$/, 'fetching the same bundle again changes nothing');
  },
);

t.test('concurrent approvals by two admins fork; losing branches travel; both converge', async (t) => {
  const w = world(t);
  await w.found('alice', 'a');
  await w.join('carol', 'c', 'a', 'alice', ['--admin']);
  await w.ok('carol', 'c', ['pull']);
  // Offline at once: alice approves bob, carol approves dave.
  await w.ok('bob', '.', ['clone', 'a', 'b']);
  await w.ok('bob', 'b', ['peer', 'request', '-o', '../bob.req']);
  await w.ok('dave', '.', ['clone', 'a', 'd']);
  await w.ok('dave', 'd', ['peer', 'request', '-o', '../dave.req']);
  await w.ok('alice', 'a', ['peer', 'approve', '../bob.req']);
  await w.ok('carol', 'c', ['peer', 'approve', '../dave.req']);
  await w.ok('alice', 'a', ['remote', 'add', 'carol', '../c']);
  // Each fetches from the other. Whichever approval has the lower id wins (equal weights); the loser's author
  // sees the fork resolved and is asked to confirm its approval, which it does by approving again.
  const first = await w.ok('carol', 'c', ['fetch']);
  const second = await w.ok('alice', 'a', ['fetch', 'carol']);
  t.match(first + second, /fork resolved: 1 event\(s\) left the chain/);
  const waiting = /^members: 1 approval\(s\) of this peer lost a fork; run `env-sync peer approve` again/m;
  t.match(first + second, waiting);
  if (waiting.test(first)) await w.ok('carol', 'c', ['peer', 'approve', '../dave.req']);
  else await w.ok('alice', 'a', ['peer', 'approve', '../bob.req']);
  await w.ok('carol', 'c', ['fetch']);
  await w.ok('alice', 'a', ['fetch', 'carol']);
  const events = async (dir: string) => {
    const repo = await openRepository(path.join(w.root, dir));
    const raw = await readRawEvents(repo);
    return { tip: raw.tip, ids: raw.events.map((e) => e.id).sort() as ObjectId[] };
  };
  const [ea, ec] = [await events('a'), await events('c')];
  t.equal(ea.tip, ec.tip, 'same canonical tip');
  t.same(ea.ids, ec.ids, 'same events held, losing branch included');
  const registry = await w.list('alice', 'a');
  t.same(await w.list('carol', 'c'), registry, 'same registry');
  const approved = registry
    .filter((p: { state: string }) => p.state === 'approved')
    .map((p: { name: string }) => p.name);
  t.same(approved.sort(), ['alice', 'bob', 'carol', 'dave'], 'both approvals hold once confirmed');
});
