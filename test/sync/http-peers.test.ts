import t from 'tap';
import { initPeer, peer, serve, serveAt } from './helpers.ts';

const MOVE = /^main: [0-9a-f]{12}\.\.[0-9a-f]{12}$/m;

t.test(
  'two peers over dev-plaintext-http: clone, fetch, merge, conflicts, push, non-fast-forward',
  async (t) => {
    const root = t.testdir();
    const alice = await initPeer(root, 'alice');
    await alice.commit({ API_URL: 'https://a.test', TOKEN: 'alice-token-1' });
    const server = await serve(t, alice);
    t.match(server.stderr(), /debugging only/, 'serve warns that plain HTTP is for debugging');

    const bob = peer(root, 'bob');
    await bob.ok(t, ['clone', server.url, bob.dir]);
    t.same(
      await bob.entries(),
      { API_URL: 'https://a.test', TOKEN: 'alice-token-1' },
      'clone has every value',
    );
    t.equal(await bob.ref('refs/heads/main'), await alice.ref('refs/heads/main'));
    t.equal((await bob.ok(t, ['remote', 'list'])).stdout, `origin\t${server.url}\n`);

    await alice.commit({ TOKEN: 'alice-token-2' });
    const fetched = await bob.ok(t, ['fetch']);
    t.match(fetched.stdout, MOVE, 'fetch prints main: old..new');
    t.notMatch(fetched.stdout + fetched.stderr, /alice-token/, 'fetch never prints values');
    t.equal((await bob.ok(t, ['fetch'])).stdout, '', 'a second fetch moves nothing');
    const ff = await bob.ok(t, ['merge', 'origin/main']);
    t.match(ff.stdout, /fast-forward, 1 key\(s\) changed/);
    t.equal((await bob.entries()).TOKEN, 'alice-token-2');

    await t.test(
      'conflicting edits are listed by key name, the branch stays, --theirs resolves',
      async (t) => {
        await alice.commit({ TOKEN: 'alice-token-3', FROM_ALICE: 'a' });
        await bob.commit({ TOKEN: 'bob-token-3', FROM_BOB: 'b' });
        const before = await bob.ref('refs/heads/main');
        await bob.ok(t, ['fetch']);
        const conflict = await bob.cli(['merge', 'origin/main']);
        t.equal(conflict.code, 1);
        t.match(conflict.stderr, /1 conflicting key\(s\): TOKEN; main was not changed/);
        t.notMatch(conflict.stderr + conflict.stdout, /token-3/, 'no value in the conflict report');
        t.equal(await bob.ref('refs/heads/main'), before, 'the branch did not move');
        const merged = await bob.ok(t, ['merge', 'origin/main', '--resolve', 'TOKEN=theirs']);
        t.match(merged.stdout, /merge commit, 2 key\(s\) changed, 1 conflict\(s\) resolved/);
        t.same(await bob.entries(), {
          API_URL: 'https://a.test',
          FROM_ALICE: 'a',
          FROM_BOB: 'b',
          TOKEN: 'alice-token-3',
        });
      },
    );

    await t.test('push fast-forwards the remote; a diverged remote is refused until merged', async (t) => {
      await bob.ok(t, ['push', 'origin']);
      t.equal(await alice.ref('refs/heads/main'), await bob.ref('refs/heads/main'), 'alice has bob’s merge');
      t.equal(await bob.ref('refs/remotes/origin/main'), await bob.ref('refs/heads/main'));
      await alice.commit({ ONLY_ALICE: '1' });
      await bob.commit({ ONLY_BOB: '1' });
      const aliceBefore = await alice.ref('refs/heads/main');
      const refused = await bob.cli(['push', 'origin']);
      t.equal(refused.code, 1);
      t.match(refused.stderr, /non-fast-forward; fetch and merge first/);
      t.equal(await alice.ref('refs/heads/main'), aliceBefore, 'the remote branch did not move');
      const pulled = await bob.ok(t, ['pull']);
      t.match(pulled.stdout, /main: .*merge commit/);
      await bob.ok(t, ['push', 'origin']);
      t.same(await alice.entries(), await bob.entries());
    });

    await t.test('--force-with-lease overwrites only when the lease holds', async (t) => {
      await alice.commit({ LEASE: 'alice' });
      await bob.ok(t, ['fetch']);
      await bob.commit({ LEASE: 'bob' });
      const stale = await bob.cli(['push', 'origin']);
      t.match(stale.stderr, /non-fast-forward/);
      await alice.commit({ LEASE: 'alice-again' });
      const lease = await bob.cli(['push', '--force-with-lease', 'origin']);
      t.equal(lease.code, 1, 'alice moved since bob fetched: the lease is stale');
      t.match(lease.stderr, /stale lease/);
      await bob.ok(t, ['fetch']);
      await bob.ok(t, ['push', '--force-with-lease', 'origin']);
      t.equal((await alice.entries()).LEASE, 'bob');
    });

    await t.test('a repository of another group is refused before any object moves', async (t) => {
      const carol = await initPeer(root, 'carol');
      await carol.commit({ X: '1' });
      await carol.ok(t, ['remote', 'add', 'alice', server.url]);
      const refused = await carol.cli(['fetch', 'alice']);
      t.equal(refused.code, 1);
      t.match(refused.stderr, /unrelated repositories; use 'env-sync clone <url>'/);
      t.equal(await carol.ref('refs/remotes/alice/main'), null);
      const push = await carol.cli(['push', 'alice']);
      t.match(push.stderr, /group/);
    });

    await t.test('serve stops cleanly on SIGTERM', async (t) => {
      const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      t.equal(await exited, 0);
    });
  },
);

t.test('serve warns twice for a non-loopback address', async (t) => {
  const root = t.testdir();
  const dev = await initPeer(root, 'dev');
  const wide = await serveAt(t, dev, '0.0.0.0:0').catch(() => null);
  if (wide === null) {
    t.pass('cannot bind 0.0.0.0 here');
    return;
  }
  t.match(wide.stderr(), /not loopback: anyone who can reach it/);
  const exited = new Promise<number | null>((resolve) => wide.child.once('exit', resolve));
  wide.child.kill('SIGINT');
  t.equal(await exited, 0);
});
