// User authentication and connection errors of the built-in client against a real sshd: ssh-agent, identity
// files, IdentitiesOnly, a passphrase-protected key (with no terminal, asked again when wrong), ConnectTimeout,
// and one-line failures.

import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { shellQuote } from '../../src/transport/ssh-url.ts';
import { BIN, runCli } from '../helpers/cli.ts';
import { addToAgent, freePort, sshdWithProject, sshSkip, startAgent, startSshd } from '../helpers/sshd.ts';
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

/**
 * Clones with a pseudo-terminal (script(1)), answering each passphrase prompt for `keyFile` with the next of
 * `answers`; the exit code, the screen, and how many prompts there were.
 */
async function cloneOnTerminal(
  sshd: Awaited<ReturnType<typeof startSshd>>,
  laptop: ReturnType<typeof peer>,
  keyFile: string,
  answers: readonly string[],
): Promise<{ code: number | null; screen: string; prompts: number }> {
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
  const prompt = `Enter passphrase for ${keyFile}: `;
  let screen = '';
  let prompts = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    screen += chunk.toString();
    const seen = screen.split(prompt).length - 1;
    for (; prompts < seen; prompts++) child.stdin.write(`${answers[prompts] ?? ''}\r`);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, screen, prompts };
}

t.test('a passphrase-protected key asks on the terminal, without echo', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' });
  const laptop = peer(t.testdir(), 'laptop');
  const { keyFile } = await sshd.installClient(laptop.home, { passphrase: 'correct horse battery' });
  const { code, screen } = await cloneOnTerminal(sshd, laptop, keyFile, ['correct horse battery']);
  t.equal(code, 0, screen);
  t.notMatch(screen, /correct horse/, 'the passphrase is not echoed');
  t.same(await laptop.entries(), { K: 'v' });
});

t.test(
  'a wrong passphrase is asked again, three times as ssh does, then fails in one line',
  { skip },
  async (t) => {
    const sshd = await sshdWithProject(t);
    const laptop = peer(t.testdir(), 'laptop');
    const { keyFile } = await sshd.installClient(laptop.home, { passphrase: 'correct horse battery' });
    const third = await cloneOnTerminal(sshd, laptop, keyFile, [
      'wrong',
      'also wrong',
      'correct horse battery',
    ]);
    t.equal(third.code, 0, third.screen);
    t.equal(third.prompts, 3, 'asked three times');
    t.same(await laptop.entries(), { K: 'v' });

    const other = peer(t.testdir(), 'other');
    const keys = await sshd.installClient(other.home, { passphrase: 'correct horse battery' });
    const failed = await cloneOnTerminal(sshd, other, keys.keyFile, ['wrong', 'wrong', 'wrong', 'wrong']);
    t.equal(failed.code, 1);
    t.equal(failed.prompts, 3, 'no fourth prompt');
    t.match(failed.screen, `env-sync: wrong passphrase for ${keys.keyFile} (3 tries)`);
  },
);

t.test('ConnectTimeout ends a connection to a listener that never speaks SSH, naming the host', async (t) => {
  const silent = net.createServer(() => {}); // accepts, says nothing
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const open = new Set<net.Socket>();
  silent.on('connection', (socket) => open.add(socket));
  t.teardown(() => {
    for (const socket of open) socket.destroy();
    silent.close();
  });
  const port = (silent.address() as net.AddressInfo).port;
  const laptop = peer(t.testdir(), 'laptop');
  mkdirSync(path.join(laptop.home, '.ssh'), { recursive: true, mode: 0o700 });
  writeFileSync(
    path.join(laptop.home, '.ssh', 'config'),
    `Host quiet\n  HostName 127.0.0.1\n  Port ${port}\n  ConnectTimeout 1\n`,
  );
  const started = Date.now();
  const result = await laptop.cli(['clone', 'quiet:project', laptop.dir]);
  t.equal(result.code, 1);
  t.equal(result.stderr, `env-sync: cannot connect to 127.0.0.1:${port}: no SSH handshake within 1 s\n`);
  t.ok(Date.now() - started < 20_000, "it gave up after the timeout, not ssh2's own");
  t.ok(open.size > 0, 'the listener was reached');
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
