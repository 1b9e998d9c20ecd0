// User authentication and connection errors of the built-in client against a real sshd: ssh-agent, identity
// files, IdentitiesOnly, a passphrase-protected key with no terminal, and one-line failures.

import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { shellQuote } from '../../src/transport/ssh-url.ts';
import { BIN, runCli } from '../helpers/cli.ts';
import { addToAgent, freePort, sshSkip, startAgent, startSshd } from '../helpers/sshd.ts';
import { initPeer, peer } from '../sync/helpers.ts';

const skip = sshSkip(t);

t.test('ssh-agent is used first, with no identity file on disk', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' });
  const laptop = peer(t.testdir(), 'laptop');
  const { keyFile } = await sshd.installClient(laptop.home);
  const socket = await startAgent(t);
  addToAgent(socket, keyFile);
  rmSync(keyFile);
  rmSync(`${keyFile}.pub`);
  const cloned = await runCli(sshd.cloneArgs('sshd-test:project', laptop.dir), {
    cwd: laptop.dir,
    home: laptop.home,
    env: { SSH_AUTH_SOCK: socket },
    timeoutMs: 60_000,
  });
  t.equal(cloned.code, 0, cloned.stderr);
  t.same(await laptop.entries(), { K: 'v' });
});

t.test('an agent that cannot be reached is skipped for the identity files', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' });
  const laptop = peer(t.testdir(), 'laptop');
  await sshd.installClient(laptop.home);
  const cloned = await runCli(sshd.cloneArgs('sshd-test:project', laptop.dir), {
    cwd: laptop.dir,
    home: laptop.home,
    env: { SSH_AUTH_SOCK: path.join(laptop.home, 'no-agent.sock') },
    timeoutMs: 60_000,
  });
  t.equal(cloned.code, 0, cloned.stderr);
  t.same(await laptop.entries(), { K: 'v' });
});

t.test('IdentitiesOnly offers only agent keys that are configured identity files', { skip }, async (t) => {
  const sshd = await startSshd(t);
  await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  const root = t.testdir();
  const laptop = peer(root, 'laptop');
  const { keyFile, sshDir } = await sshd.installClient(laptop.home);
  const stranger = peer(root, 'stranger');
  const other = await sshd.installClient(stranger.home, { authorize: false });
  const socket = await startAgent(t);
  addToAgent(socket, keyFile);
  writeFileSync(
    path.join(sshDir, 'config'),
    `Host sshd-test\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  IdentitiesOnly yes\n  IdentityFile ${other.keyFile}\n`,
  );
  const refused = await runCli(sshd.cloneArgs('sshd-test:project', laptop.dir), {
    cwd: laptop.dir,
    home: laptop.home,
    env: { SSH_AUTH_SOCK: socket },
    timeoutMs: 60_000,
  });
  t.equal(refused.code, 1);
  t.equal(
    refused.stderr,
    `env-sync: ${sshd.user}@127.0.0.1:${sshd.port}: authentication failed (tried: ssh-agent, ${other.keyFile})\n`,
    'the agent key that is not an identity file was not offered',
  );
});

t.test('a key the server does not accept fails naming what was tried', { skip }, async (t) => {
  const sshd = await startSshd(t);
  await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  const laptop = peer(t.testdir(), 'laptop');
  const { keyFile } = await sshd.installClient(laptop.home, { authorize: false });
  const refused = await laptop.cli(['clone', `ssh://127.0.0.1:${sshd.port}/project`, laptop.dir]);
  t.equal(refused.code, 1);
  t.equal(
    refused.stderr,
    `env-sync: ${sshd.user}@127.0.0.1:${sshd.port}: authentication failed (tried: ${keyFile})\n`,
  );
});

t.test('a passphrase-protected key with no terminal fails with one line', { skip }, async (t) => {
  const sshd = await startSshd(t);
  await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  const laptop = peer(t.testdir(), 'laptop');
  const { keyFile } = await sshd.installClient(laptop.home, { passphrase: 'correct horse battery' });
  const refused = await laptop.cli(sshd.cloneArgs('sshd-test:project', laptop.dir));
  t.equal(refused.code, 1);
  t.equal(
    refused.stderr,
    `env-sync: ${keyFile} is protected by a passphrase and there is no terminal to ask for it; add it to ssh-agent (ssh-add) first\n`,
  );
  t.notMatch(refused.stderr, /correct horse/);
});

t.test('a passphrase-protected key asks on the terminal, without echo', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' });
  const laptop = peer(t.testdir(), 'laptop');
  const { keyFile } = await sshd.installClient(laptop.home, { passphrase: 'correct horse battery' });
  // script(1) gives the command a pseudo-terminal; what the command prints comes back on its stdout.
  const command = [
    'env',
    '-u',
    'NODE_OPTIONS',
    process.execPath,
    BIN,
    ...sshd.cloneArgs('sshd-test:project', laptop.dir),
    // Named here: the terminal would otherwise be asked for this machine's name before the passphrase.
    '--name',
    'laptop',
  ]
    .map(shellQuote)
    .join(' ');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    cwd: laptop.dir,
    env: { PATH: process.env.PATH ?? '', HOME: laptop.home, ENV_SYNC_HOME: laptop.home, SHELL: '/bin/sh' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const before = screen;
    screen += chunk.toString();
    if (!before.includes('Enter passphrase') && screen.includes(`Enter passphrase for ${keyFile}: `))
      child.stdin.write('correct horse battery\r');
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0, screen);
  t.notMatch(screen, /correct horse/, 'the passphrase is not echoed');
  t.same(await laptop.entries(), { K: 'v' });
});

t.test('refused connections and unknown host names are one line each', { skip }, async (t) => {
  const laptop = peer(t.testdir(), 'laptop');
  const closed = await freePort();
  const refused = await laptop.cli(['clone', `ssh://127.0.0.1:${closed}/project`, laptop.dir]);
  t.equal(refused.code, 1);
  t.equal(refused.stderr, `env-sync: cannot connect to 127.0.0.1:${closed}: connection refused\n`);
  const unknown = await laptop.cli(['clone', 'nowhere.invalid:project', laptop.dir]);
  t.equal(unknown.code, 1);
  t.equal(
    unknown.stderr,
    "env-sync: cannot connect to nowhere.invalid:22: cannot resolve host name 'nowhere.invalid'\n",
  );
});
