// `clone https://host:port` without a token, as OpenSSH meets a host: the first connection shows the server's
// certificate fingerprint and sends nothing; `--peer <fingerprint>` pins it; a peer the server does not serve
// learns nothing, not even the group id, and is told to join with an invitation.

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { invite, joinWith, securePeer, servedGroup } from './mtls-helpers.ts';

t.test(
  'a clone of https:// with no pin shows the fingerprint, sends nothing and writes nothing',
  async (t) => {
    const { root, served } = await servedGroup(t, { K: 'v' });
    const bob = securePeer(root, 'bob');
    const first = await bob.cli(['clone', served.url, bob.dir], undefined, root);
    t.equal(first.code, 1);
    t.equal(
      first.stderr,
      `env-sync: ${served.url} presented certificate ${served.fingerprint}, which nothing here pins; check it with the server's owner, then run: env-sync clone --peer ${served.fingerprint} ${served.url}\n`,
    );
    const wrong = await bob.cli(['clone', '--peer', 'ab'.repeat(32), served.url, bob.dir], undefined, root);
    t.equal(wrong.code, 1);
    t.match(
      wrong.stderr,
      /presented certificate [0-9a-f]{64}, not the one --peer names; refused before sending anything\n$/,
    );
    const bad = await bob.cli(['clone', '--peer', 'SHA256:xyz', served.url, bob.dir], undefined, root);
    t.equal(bad.code, 2);
    t.match(bad.stderr, /--peer takes a certificate fingerprint/);
    t.notOk(existsSync(bob.dir) && existsSync(path.join(bob.dir, '.env-sync')), 'no repository');
    t.equal(served.stderr(), '', 'the server saw no request');
  },
);

t.test(
  'a stranger learns nothing and leaves nothing; a member clones pinned; once revoked it is refused',
  async (t) => {
    const { root, alice, served } = await servedGroup(t, { API_KEY: 'alice-secret-1' });
    // What the server holds, less the record of its own addresses (and its temp file), which serve writes
    // once it listens.
    const held = () =>
      readdirSync(path.join(alice.dir, '.env-sync'), { recursive: true })
        .filter((name) => !String(name).startsWith('serve-addresses'))
        .sort();
    const before = held();
    const bob = securePeer(root, 'bob');
    const pinned = (dir: string) => ['clone', '--peer', `sha256:${served.fingerprint}`, served.url, dir];

    const stranger = await bob.cli(pinned(bob.dir), undefined, root);
    t.equal(stranger.code, 1);
    t.match(
      stranger.stderr,
      /^env-sync: https:\/\/\S+ does not serve this peer \(\S+\): it is not an approved peer of that group; to join, ask an admin there for an invitation \(env-sync peer invite\) and clone with it\n$/,
    );
    t.notMatch(stranger.stderr, /[0-9a-f]{64}/, 'not even the group id is told');
    t.notOk(existsSync(path.join(bob.dir, '.env-sync')), 'nothing written on the joiner side');
    t.same(held(), before, 'nothing written on the server');

    const { peer: carol, peerId } = await joinWith(
      t,
      root,
      'carol',
      await invite(t, alice, served, ['--approve']),
    );
    const cloned = await carol.ok(t, pinned('carol-again'), undefined, root);
    t.match(cloned.stdout, /Cloned into/);
    const again = securePeer(root, 'carol-again');
    t.equal(
      (await carol.ok(t, ['-C', again.dir, 'get', 'API_KEY'])).stdout,
      'alice-secret-1\n',
      'a member clones pinned and reads',
    );
    const alicePeer = /^peer (\S+)$/m.exec(served.stdout())![1];
    t.equal(
      (await carol.ok(t, ['-C', again.dir, 'config', 'get', 'remote.origin.peer'])).stdout.trim(),
      alicePeer,
      'origin is pinned to the peer holding the certificate',
    );

    await alice.ok(t, ['peer', 'revoke', peerId]);
    const revoked = await carol.cli(pinned('carol-third'), undefined, root);
    t.equal(revoked.code, 1);
    t.match(revoked.stderr, /does not serve this peer/);
    t.notOk(existsSync(path.join(root, 'carol-third', '.env-sync')), 'a revoked peer clones nothing');
  },
);
