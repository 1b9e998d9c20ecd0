// Key rotation over the network: the rotated peer tells its HTTPS remote, which pins the new certificate and
// refuses the old one from then on; the rest of the group follows by pulling, and values stay readable.

import { cp } from 'node:fs/promises';
import t from 'tap';
import { runCli } from '../helpers/cli.ts';
import { invite, joinWith, servedGroup, serveTls } from './mtls-helpers.ts';

t.test(
  'after a rotation the server refuses the old certificate and accepts the new one, and every peer reads the values',
  async (t) => {
    const { root, alice, served: atAlice } = await servedGroup(t, { DB_URL: 'postgres://before' });
    const bob = await joinWith(t, root, 'bob', await invite(t, alice, atAlice, ['--approve']));
    const carol = await joinWith(t, root, 'carol', await invite(t, alice, atAlice, ['--approve']));
    await bob.peer.ok(t, ['pull']);
    t.equal((await bob.peer.ok(t, ['get', 'DB_URL'])).stdout, 'postgres://before\n');
    const oldHome = `${root}/.home-bob-before`;
    await cp(bob.peer.home, oldHome, { recursive: true });

    const rotated = await bob.peer.ok(t, ['identity', 'rotate']);
    const newId = /^Rotated \S+ to (\S+) /m.exec(rotated.stdout)?.[1] ?? '';
    t.not(newId, bob.peerId, 'the peer id changes with the signing key');
    t.match(rotated.stdout, /re-sealed main to 3 reader\(s\)/);
    t.match(rotated.stdout, /told remote 'origin'/, 'the server hears of the rotation at once');
    t.match(rotated.stdout, /Kept the old age key/);

    const withOldKeys = await runCli(['fetch'], { cwd: bob.peer.dir, home: oldHome });
    t.equal(withOldKeys.code, 1, 'the old certificate is refused');
    t.match(withOldKeys.stderr, /not an approved peer of this group/);
    await bob.peer.ok(t, ['pull']);
    t.equal((await bob.peer.ok(t, ['get', 'DB_URL'])).stdout, 'postgres://before\n');

    await alice.ok(t, ['set', 'DB_URL'], 'postgres://after');
    await carol.peer.ok(t, ['pull']);
    t.match((await carol.peer.ok(t, ['peer', 'list'])).stdout, new RegExp(`${newId}\\s`));
    t.equal((await carol.peer.ok(t, ['get', 'DB_URL'])).stdout, 'postgres://after\n');
    await bob.peer.ok(t, ['pull']);
    t.equal((await bob.peer.ok(t, ['get', 'DB_URL'])).stdout, 'postgres://after\n');
    t.equal(
      (await bob.peer.ok(t, ['get', 'DB_URL', '--rev', 'main~3'])).stdout,
      'postgres://before\n',
      'a snapshot sealed before the rotation opens with the retired age key',
    );

    const atBob = await serveTls(t, bob.peer);
    await carol.peer.ok(t, ['remote', 'add', 'bob', atBob.url]);
    t.match(
      (await carol.peer.ok(t, ['fetch', 'bob'])).stdout,
      /main/,
      'the new server certificate is pinned',
    );
  },
);
