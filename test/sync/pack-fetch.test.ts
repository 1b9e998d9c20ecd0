import { readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { initPeer, type Peer, peer, serve } from './helpers.ts';

function packsOf(p: Peer): string[] {
  try {
    return readdirSync(path.join(p.dir, '.env-sync/objects/pack')).sort();
  } catch {
    return [];
  }
}

/** `count` commits, each with a new snapshot (values carry `label`). */
async function commits(p: Peer, count: number, label = 'value'): Promise<void> {
  for (let i = 0; i < count; i++) await p.commit({ [`KEY_${i % 7}`]: `${label}-${i}` });
}

t.test(
  'a fetch over http of 100+ objects writes one pack; fsck verifies it; a small fetch stays loose',
  async (t) => {
    const root = t.testdir();
    const alice = await initPeer(root, 'alice');
    await commits(alice, 60);
    const server = await serve(t, alice);
    const bob = peer(root, 'bob');
    const clone = await bob.ok(t, ['clone', server.url, bob.dir]);
    t.match(clone.stdout, /; 120 objects/);
    const files = packsOf(bob);
    t.equal(files.length, 2, 'one pack and its index');
    t.match(files, [/^pack-[0-9a-f]{64}\.idx$/, /^pack-[0-9a-f]{64}\.pack$/]);
    const fsck = await bob.ok(t, ['fsck']);
    t.match(fsck.stdout, /^ok: 120 objects \(120 in 1 pack\), 2 refs\n$/);
    t.equal((await bob.entries()).KEY_3, 'value-59', 'the packed history reads as usual');
    const head = (await bob.ref('refs/heads/main'))!;
    const parsed = await bob.ok(t, ['rev-parse', head.slice(0, 8)]);
    t.equal(parsed.stdout, `${head}\n`, 'a prefix resolves to a packed commit');

    await alice.commit({ KEY_0: 'changed' });
    const fetched = await bob.ok(t, ['fetch']);
    t.match(fetched.stderr, /origin: 2 objects/);
    t.same(packsOf(bob), files, 'two objects are written loose, no new pack');
    t.match((await bob.ok(t, ['fsck'])).stdout, /^ok: 122 objects \(120 in 1 pack\), 2 refs\n$/);

    await bob.ok(t, ['config', 'set', 'fetch.unpackLimit', '1']);
    await alice.commit({ KEY_0: 'again' });
    await bob.ok(t, ['fetch']);
    t.equal(packsOf(bob).length, 4, 'fetch.unpackLimit 1 packs even two objects');
    t.match((await bob.ok(t, ['fsck'])).stdout, /^ok: 124 objects \(122 in 2 packs\), 2 refs\n$/);
    await bob.ok(t, ['config', 'set', 'fetch.unpackLimit', 'many']);
    await alice.commit({ KEY_0: 'once more' });
    const before = await bob.ref('refs/remotes/origin/main');
    const refused = await bob.cli(['fetch']);
    t.equal(refused.code, 1);
    t.equal(refused.stderr, 'env-sync: fetch.unpackLimit must be a non-negative integer\n');
    t.equal(await bob.ref('refs/remotes/origin/main'), before, 'no ref moved');
  },
);

t.test(
  'a push of 100+ objects is stored by the serving side as one pack (receive.unpackLimit)',
  async (t) => {
    const root = t.testdir();
    const alice = await initPeer(root, 'alice');
    await alice.commit({ A: '1' });
    const server = await serve(t, alice);
    const bob = peer(root, 'bob');
    await bob.ok(t, ['clone', server.url, bob.dir]);
    await commits(bob, 55);
    await bob.ok(t, ['push', 'origin', 'main']);
    t.equal(packsOf(alice).length, 2, 'the 110 pushed objects arrived as one pack');
    t.match((await alice.ok(t, ['fsck'])).stdout, /^ok: 112 objects \(110 in 1 pack\), 1 refs\n$/);
    // A local-path push opens alice's repository (and reads its config) in the pushing process.
    await alice.ok(t, ['config', 'set', 'receive.unpackLimit', '1000']);
    await bob.ok(t, ['remote', 'add', 'local', alice.dir]);
    await bob.ok(t, ['fetch', 'local']);
    await commits(bob, 55, 'second');
    await bob.ok(t, ['push', 'local', 'main']);
    t.equal(packsOf(alice).length, 2, 'receive.unpackLimit 1000 keeps 110 objects loose');
    t.match((await alice.ok(t, ['fsck'])).stdout, /^ok: 222 objects \(110 in 1 pack\), 1 refs\n$/);
  },
);

t.test('a clone from a bundle of 100+ objects writes one pack', async (t) => {
  const root = t.testdir();
  const alice = await initPeer(root, 'alice');
  await commits(alice, 60);
  const file = path.join(root, 'history.bundle');
  await alice.ok(t, ['bundle', 'create', file]);
  const bob = peer(root, 'bob');
  await bob.ok(t, ['clone', file, bob.dir]);
  t.equal(packsOf(bob).length, 2, 'one pack and its index');
  t.match((await bob.ok(t, ['fsck'])).stdout, /^ok: 120 objects \(120 in 1 pack\), 2 refs\n$/);
  t.equal((await bob.entries()).KEY_3, 'value-59');
});
