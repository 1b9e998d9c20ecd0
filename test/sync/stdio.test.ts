import t from 'tap';
import { fetchRemote } from '../../src/sync/fetch.ts';
import { DEFAULT_SYNC_LIMITS } from '../../src/sync/limits.ts';
import { pushBranches } from '../../src/sync/push.ts';
import { processTransport } from '../../src/transport/process.ts';
import { BIN } from '../helpers/cli.ts';
import { initPeer, peer } from './helpers.ts';

t.test('upload-pack and receive-pack serve fetch and push over a child process stdin/stdout', async (t) => {
  const root = t.testdir();
  const server = await initPeer(root, 'server');
  await server.commit({ A: '1' });
  const client = peer(root, 'client');
  await client.ok(t, ['clone', server.dir, client.dir]);
  const pipe = processTransport('stdio', [process.execPath, BIN], server.dir);
  const repo = (await client.session()).repo;

  await server.commit({ A: '2' });
  const fetched = await fetchRemote(repo, pipe, 'origin', 'peer-client', DEFAULT_SYNC_LIMITS);
  t.equal(fetched.stats.objects, 2, 'the new commit and its snapshot');
  t.same(
    fetched.moves.map((m) => m.env),
    ['main'],
  );
  await client.ok(t, ['merge', 'origin/main']);
  const tip = await client.commit({ B: 'from-client' });
  const pushed = await pushBranches(
    repo,
    pipe,
    'origin',
    [{ env: 'main', local: tip, forceWithLease: false }],
    'peer-client',
    DEFAULT_SYNC_LIMITS,
  );
  t.equal(pushed[0]?.status, 'updated');
  t.equal(await server.ref('refs/heads/main'), tip, 'receive-pack moved the branch');
  t.same(await server.entries(), { A: '2', B: 'from-client' });
  const bad = processTransport('stdio', [process.execPath, BIN], root);
  await t.rejects(fetchRemote(repo, bad, 'origin', 'peer-client', DEFAULT_SYNC_LIMITS), {
    code: 'E_REMOTE',
    message: /is not an env-sync repository/,
  });
});
