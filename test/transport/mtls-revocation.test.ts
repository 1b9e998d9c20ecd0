// Revocation over the network: every server that holds a revocation refuses the revoked peer from its next
// connection on, whether the event came by a pull or by a push, with no restart.

import t from 'tap';
import { invite, joinWith, servedGroup, serveTls } from './mtls-helpers.ts';

t.test(
  'an offline admin catches up on an approve and a revoke from another admin, then refuses the revoked peer',
  async (t) => {
    const { root, alice, served: atAlice } = await servedGroup(t, { DB_URL: 'postgres://demo' });
    const carol = await joinWith(
      t,
      root,
      'carol',
      await invite(t, alice, atAlice, ['--approve', '--role', 'admin']),
    );
    const bob = await joinWith(t, root, 'bob', await invite(t, alice, atAlice, ['--approve']));
    await carol.peer.ok(t, ['pull']); // learns of bob
    const atCarol = await serveTls(t, carol.peer);
    await bob.peer.ok(t, ['remote', 'add', 'carol', atCarol.url]);
    await bob.peer.ok(t, ['fetch', 'carol']);

    // Carol is offline while Alice approves Dave and revokes Bob.
    const dave = await joinWith(t, root, 'dave', await invite(t, alice, atAlice, ['--approve']));
    await alice.ok(t, ['peer', 'revoke', bob.peerId]);
    await bob.peer.ok(t, ['fetch', 'carol']);
    await dave.peer.ok(t, ['remote', 'add', 'carol', atCarol.url]);
    t.match(
      (await dave.peer.cli(['fetch', 'carol'])).stderr,
      /not an approved peer/,
      'carol does not know dave yet',
    );

    await carol.peer.ok(t, ['pull']);
    const refused = await bob.peer.cli(['fetch', 'carol']);
    t.match(
      refused.stderr,
      /not an approved peer of this group/,
      'carol refuses bob from her next connection on',
    );
    await dave.peer.ok(t, ['fetch', 'carol']);
    t.match(
      (await carol.peer.ok(t, ['peer', 'list'])).stdout,
      new RegExp(`${bob.peerId}\\s+\\S+\\s+revoked`),
    );
  },
);

t.test(
  'a push carries a revocation to another server, which refuses the revoked peer from then on',
  async (t) => {
    const { root, alice, served: atAlice } = await servedGroup(t, { K: 'v1' });
    const carol = await joinWith(t, root, 'carol', await invite(t, alice, atAlice, ['--approve']));
    const bob = await joinWith(t, root, 'bob', await invite(t, alice, atAlice, ['--approve']));
    await carol.peer.ok(t, ['pull']);
    const atCarol = await serveTls(t, carol.peer);
    await bob.peer.ok(t, ['remote', 'add', 'carol', atCarol.url]);
    await bob.peer.ok(t, ['fetch', 'carol']);

    await alice.ok(t, ['peer', 'revoke', bob.peerId]);
    await alice.ok(t, ['remote', 'add', 'carol', atCarol.url]);
    await alice.ok(t, ['push', 'carol']);
    const refused = await bob.peer.cli(['fetch', 'carol']);
    t.equal(refused.code, 1);
    t.match(refused.stderr, /not an approved peer of this group/, 'the pushed revocation applies at once');
  },
);
