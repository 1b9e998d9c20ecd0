import t from 'tap';
import { openRepository } from '../../src/store/repository.ts';
import { buildHistory, initPeer, peer, serve } from './helpers.ts';

const KEYS = 1000;
const COMMITS = 500;

t.test(
  'incremental fetch in a 1,000-key, 500-commit environment moves exactly the new objects',
  async (t) => {
    const root = t.testdir();
    const alice = await initPeer(root, 'alice');
    const tip = await buildHistory(alice.dir, KEYS, COMMITS);
    const bob = peer(root, 'bob');
    const clone = await bob.ok(t, ['clone', alice.dir, bob.dir]);
    t.match(
      clone.stdout,
      new RegExp(`; ${COMMITS * 2} objects`),
      'the clone receives every commit and snapshot',
    );
    t.equal(await bob.ref('refs/heads/main'), tip);

    const server = await serve(t, alice);
    await bob.ok(t, ['remote', 'add', 'http', server.url]);
    const first = await bob.ok(t, ['fetch', 'http']);
    t.match(first.stdout, /^main: \(new\) [0-9a-f]{12}\n$/, 'a new remote gets its tracking ref');
    t.match(first.stderr, /http: 0 objects/, 'but no object travels: bob has them all');
    const changed = await alice.commit({ KEY_0042: 'changed' });
    const fetched = await bob.ok(t, ['fetch', 'http']);
    t.match(fetched.stdout, /^main: [0-9a-f]{12}\.\.[0-9a-f]{12}\n$/);
    const count = /http: (\d+) objects, (\d+) bytes received/.exec(fetched.stderr);
    t.equal(Number(count?.[1]), 2, 'exactly one commit and one snapshot travel');
    const objects = (await openRepository(alice.dir)).objects;
    const sent =
      (await objects.readRaw(changed)).length +
      (await objects.readRaw((await objects.readTyped(changed, 'commit')).snapshot)).length;
    t.ok(Number(count?.[2]) < sent, `the wire carries them compressed (${count?.[2]} of ${sent} bytes)`);
    await bob.ok(t, ['merge', 'http/main']);
    t.equal((await bob.entries()).KEY_0042, 'changed');
  },
);

t.test('a peer that is behind sends nothing this repository holds, even as a new remote', async (t) => {
  const root = t.testdir();
  const alice = await initPeer(root, 'alice');
  await buildHistory(alice.dir, 20, 100);
  const server = await serve(t, alice);
  const bob = peer(root, 'bob');
  await bob.ok(t, ['clone', server.url, bob.dir]);
  // Alice's tip ends up deeper in bob's history than any have bob offers (tips, 1-8, 16, 32, 64 back).
  for (let i = 0; i < 70; i++) await bob.commit({ [`NEW_${i}`]: String(i) });
  await bob.ok(t, ['remote', 'remove', 'origin']); // and its tracking refs, which would be offered as haves
  await bob.ok(t, ['config', 'set', 'sync.maxObjects', '50']);
  await bob.ok(t, ['remote', 'add', 'again', server.url]);
  const fetched = await bob.ok(t, ['fetch', 'again']);
  t.match(fetched.stderr, /again: 0 objects/, 'no object travels (the history would exceed sync.maxObjects)');
  t.match(fetched.stdout, /^main: \(new\) [0-9a-f]{12}\n$/);
});
