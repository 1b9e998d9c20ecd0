// ENV_SYNC_SSH_COMMAND and core.sshCommand: the system's OpenSSH `ssh` instead of the built-in client, with
// git's GIT_SSH_COMMAND semantics (`-p PORT`, `[user@]host` and the remote command appended).

import path from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.ts';
import { type ClientFiles, sshSkip, startSshd } from '../helpers/sshd.ts';
import { initPeer, type Peer, peer } from '../sync/helpers.ts';

const skip = sshSkip(t);

/**
 * OpenSSH finds ~ from the password database, not $HOME: the command names the test's files itself. BatchMode
 * keeps it from ever prompting.
 */
function systemSsh(files: ClientFiles): string {
  return [
    'ssh',
    `-F ${path.join(files.sshDir, 'config')}`,
    `-o UserKnownHostsFile=${path.join(files.sshDir, 'known_hosts')}`,
    `-o IdentityFile=${files.keyFile}`,
    '-o IdentitiesOnly=yes',
    '-o BatchMode=yes',
  ].join(' ');
}

function withSsh(p: Peer, command: string) {
  return (args: readonly string[]) =>
    runCli(args, { cwd: p.dir, home: p.home, env: { ENV_SYNC_SSH_COMMAND: command }, timeoutMs: 60_000 });
}

t.test('clone, fetch, pull and push through ENV_SYNC_SSH_COMMAND', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v1' });
  const laptop = peer(t.testdir(), 'laptop');
  const files = await sshd.installClient(laptop.home);
  const run = withSsh(laptop, systemSsh(files));
  const url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${origin.dir}`;
  const cloned = await run(sshd.cloneArgs(url, laptop.dir));
  t.equal(cloned.code, 0, cloned.stderr);
  t.same(await laptop.entries(), { K: 'v1' });

  await origin.commit({ K: 'v2' });
  t.equal((await run(['fetch'])).code, 0, 'fetch');
  await origin.commit({ L: 'x' });
  const pulled = await run(['pull']);
  t.equal(pulled.code, 0, pulled.stderr);
  t.same(await laptop.entries(), { K: 'v2', L: 'x' });
  const tip = await laptop.commit({ M: 'from-laptop' });
  const pushed = await run(['push', 'origin']);
  t.equal(pushed.code, 0, pushed.stderr);
  t.equal(await origin.ref('refs/heads/main'), tip);
});

t.test(
  'core.sshCommand is used when the environment names none, with a config alias',
  { skip },
  async (t) => {
    const sshd = await startSshd(t);
    const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
    await origin.commit({ K: 'v1' });
    const laptop = peer(t.testdir(), 'laptop');
    const files = await sshd.installClient(laptop.home);
    const cloned = await withSsh(laptop, systemSsh(files))(sshd.cloneArgs('sshd-test:project', laptop.dir));
    t.equal(cloned.code, 0, cloned.stderr);
    // A command no built-in client would run: only the system ssh understands -F.
    await laptop.ok(t, ['config', 'set', 'core.sshCommand', systemSsh(files)]);
    await origin.commit({ K: 'v2' });
    const fetched = await laptop.ok(t, ['fetch']);
    t.match(fetched.stdout, /^main: /m);
  },
);

t.test('through the system ssh, a missing program and an ssh failure are named', { skip }, async (t) => {
  const sshd = await startSshd(t);
  await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  const laptop = peer(t.testdir(), 'laptop');
  const files = await sshd.installClient(laptop.home);
  const missing = await withSsh(laptop, systemSsh(files))(['clone', 'sshd-test:project', laptop.dir]);
  t.equal(missing.code, 1);
  t.match(
    missing.stderr,
    /env-sync: sshd-test:project: the remote has no 'env-sync' on its PATH \(exit status 127\)/,
  );

  const strangers = await sshd.installClient(path.join(laptop.home, 'other'), { knownHosts: false });
  const failed = await withSsh(laptop, systemSsh(strangers))(sshd.cloneArgs('sshd-test:project', laptop.dir));
  t.equal(failed.code, 1);
  t.match(failed.stderr, /Host key verification failed/, "ssh's own message is passed through");
  t.match(
    failed.stderr,
    /env-sync: sshd-test:project: ssh failed \(exit status 255\); its message is above\n$/,
  );
});
