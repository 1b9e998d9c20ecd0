// clone, fetch, pull and push over a real OpenSSH server with the built-in client (ssh2): URL forms as git reads
// them, a ~/.ssh/config alias, hostile paths, and the remote program.

import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openRepository } from '../../src/store/repository.ts';
import { sshSkip, startSshd } from '../helpers/sshd.ts';
import { initPeer, peer } from '../sync/helpers.ts';

const skip = sshSkip(t);

t.test('clone, fetch, pull and push over ssh:// with the built-in client', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ API_KEY: 'one' });
  const laptop = peer(t.testdir(), 'laptop');
  await sshd.installClient(laptop.home);
  const url = `ssh://127.0.0.1:${sshd.port}${origin.dir}`;

  const cloned = await laptop.ok(t, sshd.cloneArgs(url, laptop.dir));
  t.match(cloned.stdout, /mode trusted-owner-ssh/);
  t.same(await laptop.entries(), { API_KEY: 'one' });
  const config = (await openRepository(laptop.dir)).config;
  t.equal(config.get('remote.origin.url'), url, 'the URL is recorded as written');
  t.equal(config.get('remote.origin.program'), sshd.program, 'clone records --remote-program');

  await origin.commit({ API_KEY: 'two' });
  const fetched = await laptop.ok(t, ['fetch']);
  t.match(fetched.stdout, /^main: [0-9a-f]{12}\.\.[0-9a-f]{12}$/m, 'fetch uses remote.origin.program');
  await origin.commit({ DB_URL: 'db' });
  const pulled = await laptop.ok(t, ['pull']);
  t.match(pulled.stdout, /main: .*fast-forward/);
  t.same(await laptop.entries(), { API_KEY: 'two', DB_URL: 'db' });

  const tip = await laptop.commit({ FROM_LAPTOP: 'yes' });
  const pushed = await laptop.ok(t, ['push', 'origin']);
  t.match(pushed.stdout, /^main: [0-9a-f]{12}\.\.[0-9a-f]{12}$/m);
  t.equal(await origin.ref('refs/heads/main'), tip, 'receive-pack moved the remote branch');
  const listed = await laptop.ok(t, ['remote', 'list']);
  t.equal(listed.stdout, `origin\t${url}\n`);
  await origin.ok(t, ['fsck']);
  await laptop.ok(t, ['fsck']);
});

t.test(
  'scp-like paths and ~ paths are relative to the remote home, through a config alias',
  { skip },
  async (t) => {
    const sshd = await startSshd(t);
    const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
    await origin.commit({ K: 'v1' });
    const root = t.testdir();
    const scp = peer(root, 'scp');
    await sshd.installClient(scp.home);
    await scp.ok(t, sshd.cloneArgs('sshd-test:project', scp.dir));
    t.same(await scp.entries(), { K: 'v1' }, 'host:path with a Host alias of ~/.ssh/config');

    const tilde = peer(root, 'tilde');
    await sshd.installClient(tilde.home);
    await tilde.ok(t, sshd.cloneArgs('ssh://sshd-test/~/project', tilde.dir));
    t.same(await tilde.entries(), { K: 'v1' }, 'ssh://host/~/path');

    await scp.ok(t, ['remote', 'add', 'home', `${sshd.user}@sshd-test:project`]);
    await scp.ok(t, ['config', 'set', 'remote.home.program', sshd.program]);
    await origin.commit({ K: 'v2' });
    const fetched = await scp.ok(t, ['fetch', 'home']);
    t.match(fetched.stdout, /^main: /m, 'user@host:path added with remote add, program from the config');
    const listed = await scp.ok(t, ['remote', 'list', '--json']);
    t.same(
      (JSON.parse(listed.stdout) as Array<{ name: string }>).sort((a, b) => a.name.localeCompare(b.name)),
      [
        { name: 'home', url: `${sshd.user}@sshd-test:project` },
        { name: 'origin', url: 'sshd-test:project' },
      ],
    );
  },
);

t.test('a path with spaces, quotes, ; and $() reaches the remote env-sync verbatim', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const root = t.testdir();
  // Any part a shell ran would end the remote command early, or change the path so that it is not found.
  const hostile = `it's a "dir"; exit 3; $(exit 4) \`exit 5\` $HOME *`;
  mkdirSync(path.join(sshd.remoteHome, hostile));
  const origin = await initPeer(path.join(sshd.remoteHome, hostile), 'repo', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' });
  const laptop = peer(root, 'laptop');
  await sshd.installClient(laptop.home);
  await laptop.ok(t, sshd.cloneArgs(`ssh://sshd-test${origin.dir}`, laptop.dir));
  t.same(await laptop.entries(), { K: 'v' });
  await origin.commit({ K: 'w' });
  await laptop.ok(t, ['pull']);
  t.same(await laptop.entries(), { K: 'w' }, 'the stored URL works again');

  const dash = peer(root, 'dash');
  await sshd.installClient(dash.home);
  const leading = await initPeer(sshd.remoteHome, '-x', 'trusted-owner-ssh');
  await leading.commit({ K: 'dash' });
  await dash.ok(t, sshd.cloneArgs('sshd-test:-x', dash.dir));
  t.same(await dash.entries(), { K: 'dash' }, 'a relative path starting with - is not read as an option');
});

t.test('a remote without env-sync on its PATH is named, with the setting to fix it', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' });
  const laptop = peer(t.testdir(), 'laptop');
  await sshd.installClient(laptop.home);
  const missing = await laptop.cli(['clone', 'sshd-test:project', laptop.dir]);
  t.equal(missing.code, 1);
  t.match(
    missing.stderr,
    /^env-sync: sshd-test:project: the remote has no 'env-sync' on its PATH \(exit status 127\); set remote\.origin\.program \(or --remote-program\) to its path there$/m,
  );
  t.notOk(existsSync(laptop.dir) && existsSync(path.join(laptop.dir, '.env-sync')), 'nothing was written');

  const notRepo = await laptop.cli(sshd.cloneArgs('sshd-test:nowhere', laptop.dir));
  t.equal(notRepo.code, 1);
  t.match(notRepo.stderr, /'nowhere' is not an env-sync repository/);
});

t.test(
  'a trusted-owner-ssh repository refuses http:// and a dev-plaintext-http one refuses ssh',
  { skip },
  async (t) => {
    const root = t.testdir();
    const owner = await initPeer(root, 'owner', 'trusted-owner-ssh');
    const http = await owner.cli(['remote', 'add', 'web', 'http://127.0.0.1:7464']);
    t.equal(http.code, 1);
    t.match(
      http.stderr,
      /^env-sync: trusted-owner-ssh syncs only over SSH, a local path or a bundle; http:\/\/127\.0\.0\.1:7464 is plain HTTP/m,
    );
    const dev = await initPeer(root, 'dev', 'dev-plaintext-http');
    const ssh = await dev.cli(['remote', 'add', 'box', 'me@box:project']);
    t.equal(ssh.code, 1);
    t.match(
      ssh.stderr,
      /dev-plaintext-http syncs only over plain HTTP, a local path or a bundle; me@box:project is SSH/,
    );
  },
);

t.test('serve in trusted-owner-ssh points to the own OpenSSH server and prints the clone URL', async (t) => {
  const owner = await initPeer(t.testdir(), 'owner', 'trusted-owner-ssh');
  const served = await owner.cli(['serve']);
  t.equal(served.code, 0);
  t.equal(
    served.stderr,
    "env-sync: serve: trusted-owner-ssh is served by this machine's own OpenSSH server (sshd); nothing to start\n",
  );
  t.equal(
    served.stdout,
    `clone with: env-sync clone 'ssh://${os.userInfo().username}@${os.hostname()}${owner.dir}'\n`,
  );
});
