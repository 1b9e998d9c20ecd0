// secure-peer over the network: peers join with an invitation, are approved, sync and read over mutual TLS;
// a revocation refuses the revoked peer's next connection; a pending peer gets only the membership chain.

import t from 'tap';
import { invite, joinWith, servedGroup } from './mtls-helpers.ts';

t.test(
  'invite, join, approve, pull and read; a pre-approved peer (token on stdin) reads at once; a revoke refuses the next pull',
  async (t) => {
    const { root, alice, served } = await servedGroup(t, { API_KEY: 'alice-secret-1' });

    const bob = await joinWith(t, root, 'bob', await invite(t, alice, served));
    t.match(
      bob.result.stdout,
      new RegExp(`pending approval; an admin runs: env-sync peer approve ${bob.peerId}`),
    );
    t.match((await alice.ok(t, ['peer', 'list'])).stdout, new RegExp(`${bob.peerId}\\s+\\S+\\s+pending`));
    t.match(served.stderr(), new RegExp(`join: ${bob.peerId} \\(\\S+\\) is pending`), 'serve logs the join');
    const pendingPull = await bob.peer.ok(t, ['pull']);
    t.notMatch(pendingPull.stdout, /origin\/main/, 'a pending peer gets no branch');
    t.not((await bob.peer.cli(['get', 'API_KEY'])).code, 0, 'and cannot read');

    await alice.ok(t, ['peer', 'approve', bob.peerId]);
    t.match((await bob.peer.ok(t, ['pull'])).stdout, /members: 1 new event[\s\S]*origin\/main: \(new\)/);
    t.equal((await bob.peer.ok(t, ['get', 'API_KEY'])).stdout, 'alice-secret-1\n');

    const carol = await joinWith(t, root, 'carol', await invite(t, alice, served, ['--approve']), 'stdin');
    t.match(carol.result.stdout, /approved/);
    t.equal(
      (await carol.peer.ok(t, ['get', 'API_KEY'])).stdout,
      'alice-secret-1\n',
      'pre-approved: reads after clone',
    );

    await bob.peer.ok(t, ['pull']); // carol's approval re-sealed main
    await bob.peer.ok(t, ['set', 'API_KEY'], 'bob-secret-2');
    await bob.peer.ok(t, ['push', 'origin']);
    t.equal((await alice.ok(t, ['get', 'API_KEY'])).stdout, 'bob-secret-2\n', 'a push over mutual TLS lands');

    await alice.ok(t, ['peer', 'revoke', bob.peerId]);
    const before = (await bob.peer.ok(t, ['show-ref'])).stdout;
    const refused = await bob.peer.cli(['pull']);
    t.equal(refused.code, 1);
    t.match(
      refused.stderr,
      /^env-sync: remote 'origin': this certificate is not an approved peer of this group/,
    );
    t.equal((await bob.peer.ok(t, ['show-ref'])).stdout, before, 'no ref moved');
    t.match(served.stderr(), /refused certificate [0-9a-f]{64}: not an approved peer/);
    t.notMatch(served.stderr(), /secret-/, 'no value in the server log');
    t.equal(await served.stop(), 0, 'serve exits 0 on SIGTERM');
  },
);

t.test('a pending peer cannot push or serve', async (t) => {
  const { root, alice, served } = await servedGroup(t, { K: 'v' });
  const bob = await joinWith(t, root, 'bob', await invite(t, alice, served));
  await bob.peer.ok(t, ['set', 'MINE'], 'x');
  const push = await bob.peer.cli(['push', 'origin']);
  t.equal(push.code, 1);
  t.match(push.stderr, /pending approval: it may fetch the membership chain, not push/);
  const serving = await bob.peer.cli(['serve', '--listen', '127.0.0.1:0']);
  t.equal(serving.code, 1, 'a pending peer does not serve');
  t.match(serving.stderr, /is not an approved member of the group; nothing was started/);
});
