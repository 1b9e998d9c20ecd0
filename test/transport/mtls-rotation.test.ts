// Key rotation over the network: the rotated peer tells its HTTPS remote, which pins the new certificate and
// refuses the old one from then on; the rest of the group follows by pulling, and values stay readable.

import { cp } from 'node:fs/promises';
import t from 'tap';
import { runCli } from '../helpers/cli.ts';
import { serveAt } from '../sync/helpers.ts';
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
    const doctorOld = await runCli(['doctor'], { cwd: bob.peer.dir, home: oldHome });
    t.equal(doctorOld.code, 1);
    t.match(doctorOld.stdout, /^fix {2}remote 'origin': refuses this peer’s certificate/m);
    const doctor = await bob.peer.ok(t, ['doctor']);
    t.match(
      doctor.stdout,
      /^ok {3}remote 'origin': reachable; its certificate is pinned and it accepts this peer$/m,
    );
    t.match(doctor.stdout, /^ok {3}remote 'origin' clock: within \d+ s/m);
    t.match(doctor.stdout, /^ok {3}retired keys: 1 retired age key/m);
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

t.test(
  'a serving peer that rotates presents its old certificate to peers that have not heard yet, who then pin the new one',
  async (t) => {
    const { root, alice, served } = await servedGroup(t, { DB_URL: 'postgres://before' });
    const carol = await joinWith(t, root, 'carol', await invite(t, alice, served, ['--approve']));
    await carol.peer.ok(t, ['pull']);
    const aliceBefore = JSON.parse((await alice.ok(t, ['identity', 'show', '--json'])).stdout).peerId;

    const rotated = await alice.ok(t, ['identity', 'rotate']);
    const aliceAfter = /^Rotated \S+ to (\S+) /m.exec(rotated.stdout)?.[1] ?? '';
    t.equal(await served.stop(), 0);
    await serveAt(t, alice, served.address); // restarted with the new keys, on the same address
    await alice.ok(t, ['set', 'DB_URL'], 'postgres://after');

    const first = await carol.peer.ok(t, ['pull']);
    t.match(first.stdout, /members: 1 new event/, 'carol fetches the rotation over the old certificate');
    const list = JSON.parse((await carol.peer.ok(t, ['peer', 'list', '--json'])).stdout) as {
      peerId: string;
      state: string;
    }[];
    t.match(
      list.find((peer) => peer.peerId === aliceBefore),
      { state: 'revoked' },
    );
    t.match(
      list.find((peer) => peer.peerId === aliceAfter),
      { state: 'approved' },
    );
    t.equal((await carol.peer.ok(t, ['get', 'DB_URL'])).stdout, 'postgres://after\n');
    await alice.ok(t, ['set', 'DB_URL'], 'postgres://later');
    await carol.peer.ok(t, ['pull']);
    t.equal(
      (await carol.peer.ok(t, ['get', 'DB_URL'])).stdout,
      'postgres://later\n',
      'the next pull pins the new certificate (origin still names the old peer id)',
    );
  },
);
