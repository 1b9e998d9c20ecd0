// clone joins the remote's group: it copies the group id and the nonce it commits to with the mode, and refuses
// an advertisement whose group does not commit to the mode it claims (docs/security.md#the-mode-is-bound-to-the-group).

import { existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { openRepository } from '../../src/store/repository.ts';
import { initPeer, peer, serveInProcess } from './helpers.ts';

t.test('clone copies the group and its nonce, and the clone opens', async (t) => {
  const root = t.testdir();
  const source = await initPeer(root, 'source', 'trusted-owner-ssh');
  await source.commit({ A: '1' });
  const newcomer = peer(root, 'newcomer');
  await newcomer.ok(t, ['clone', source.dir, 'copy']);
  const [original, copy] = await Promise.all([
    openRepository(source.dir),
    openRepository(path.join(newcomer.dir, 'copy')),
  ]);
  t.equal(copy.group, original.group);
  t.equal(copy.groupNonce, original.groupNonce);
  t.match(copy.groupNonce, /^[0-9a-f]{32}$/);
  t.equal((await peer(newcomer.dir, 'copy').cli(['list'])).code, 0, 'commands open the clone');
});

t.test('clone refuses a remote whose group was not created in the mode it advertises', async (t) => {
  const root = t.testdir();
  const source = await initPeer(root, 'source', 'trusted-owner-ssh');
  await source.commit({ A: '1' });
  const repo = await openRepository(source.dir);
  // A server that claims another mode for its group (its config edited in memory, as a forger would), one
  // that plain HTTP may carry.
  repo.config.set('core.mode', 'dev-plaintext-http');
  const { url } = await serveInProcess(t, repo);
  const newcomer = peer(root, 'newcomer');
  const result = await newcomer.cli(['clone', url, 'copy']);
  t.equal(result.code, 1);
  t.match(
    result.stderr,
    /^env-sync: group [0-9a-f]{12} was not created as a dev-plaintext-http group \(its id does not commit to that mode\); refusing\n$/,
  );
  t.notOk(existsSync(path.join(newcomer.dir, 'copy')), 'no repository was created');
});
