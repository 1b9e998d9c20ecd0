// `clone https://host:port` without a token, as OpenSSH meets a host: the first connection shows the server's
// certificate fingerprint and sends nothing; `--peer <fingerprint>` pins it; a peer the server does not serve
// leaves its signed join request there for an admin, and the same clone works once it is approved.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { securePeer, servedGroup } from './mtls-helpers.ts';

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
  "a stranger's pinned clone leaves its join request for the admin; once approved the same clone reads; once revoked it is refused",
  async (t) => {
    const { root, alice, served } = await servedGroup(t, { API_KEY: 'alice-secret-1' });
    const members = () => readFileSync(path.join(alice.dir, '.env-sync/refs/members'), 'utf8');
    const before = members();
    const bob = securePeer(root, 'bob');
    const clone = ['clone', '--peer', `sha256:${served.fingerprint}`, served.url, bob.dir];

    const waiting = await bob.cli(clone, undefined, root);
    t.equal(waiting.code, 1);
    const match =
      /^env-sync: you are (\S+), not a member of this group yet; your join request waits on https:\/\/\S+, where an admin runs: env-sync peer approve (\.env-sync\/join-requests\/\1\.json); then run this clone again\n$/.exec(
        waiting.stderr,
      );
    t.ok(match, waiting.stderr);
    const [, peerId, file] = match ?? ['', '', ''];
    t.notOk(existsSync(path.join(bob.dir, '.env-sync')), 'nothing written on the joiner side');
    t.equal(members(), before, "the request is no event: the group's chain did not move");
    t.equal(statSync(path.join(alice.dir, file!)).mode & 0o777, 0o600, 'the request file is 0600');
    t.match(served.stderr(), new RegExp(`join request without invitation: ${peerId} \\(\\S+\\), in ${file}`));

    await alice.ok(t, ['peer', 'approve', file!]);
    const cloned = await bob.ok(t, clone, undefined, root);
    t.match(cloned.stdout, /Cloned into/);
    t.equal((await bob.ok(t, ['get', 'API_KEY'])).stdout, 'alice-secret-1\n');
    const alicePeer = /^peer (\S+)$/m.exec(served.stdout())![1];
    t.equal(
      (await bob.ok(t, ['config', 'get', 'remote.origin.peer'])).stdout.trim(),
      alicePeer,
      'origin is pinned to the peer holding the certificate',
    );
    await bob.ok(t, ['pull']);

    await alice.ok(t, ['peer', 'revoke', peerId!]);
    const again = await bob.cli(
      ['clone', '--peer', served.fingerprint, served.url, 'again'],
      undefined,
      root,
    );
    t.equal(again.code, 1);
    t.match(
      again.stderr,
      /refused the join: this peer was revoked from the group; a revoked key never joins again\n$/,
    );
    t.notOk(existsSync(path.join(root, 'again', '.env-sync')), 'a revoked peer clones nothing');
  },
);
