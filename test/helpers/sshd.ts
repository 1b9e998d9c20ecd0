// A real OpenSSH server per test file: `sshd -D -e -f <config>` on 127.0.0.1 and a free port, with its own host
// key, authorized_keys and pid file in a temporary directory (no system configuration is read or changed).
// Clients get a HOME with a key, known_hosts and ~/.ssh/config; the remote program is a wrapper script that
// runs this tree's env-sync from a directory standing for the remote home.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { initPeer } from '../sync/helpers.ts';
import { BIN } from './cli.ts';

export const SSHD = '/usr/sbin/sshd';

export interface SshServer {
  readonly port: number;
  /** Where the wrapper program starts env-sync: the remote home, for relative paths. */
  readonly remoteHome: string;
  /** Absolute path of the remote program (node + bin/env-sync.js of this tree). */
  readonly program: string;
  /** The host key line known_hosts needs: `[127.0.0.1]:<port> ssh-ed25519 AAAA…`. */
  readonly knownHostsLine: string;
  /** `SHA256:…` of the host key, as ssh-keygen prints it. */
  readonly hostKeyFingerprint: string;
  /** known_hosts line and fingerprint of each host key the server has, by type (`ed25519`, `ecdsa`, `rsa`). */
  readonly hostKeys: Readonly<Record<string, { readonly line: string; readonly fingerprint: string }>>;
  /** The login name (the user running the tests). */
  readonly user: string;
  /** Writes ~/.ssh (key pair, known_hosts, config with the `Host` alias `sshd-test`) under `home`. */
  installClient(home: string, options?: ClientOptions): Promise<ClientFiles>;
  /** `clone --remote-program <program> <url> <dir>`: a clone that runs this tree's env-sync on the remote. */
  cloneArgs(url: string, dir: string): string[];
  /** Adds a public key to authorized_keys. */
  authorize(publicKey: string): void;
  /** Everything sshd wrote to stderr so far. */
  log(): string;
}

export interface ClientOptions {
  /** Passphrase for the generated key (default: none). */
  readonly passphrase?: string;
  /** Write known_hosts with the server's key (default: true). */
  readonly knownHosts?: boolean;
  /** Authorize the key on the server (default: true). */
  readonly authorize?: boolean;
}

export interface ClientFiles {
  readonly sshDir: string;
  readonly keyFile: string;
  readonly publicKey: string;
}

/** Why the SSH tests cannot run here, or null. Under CI=true the caller fails instead of skipping. */
export function sshdMissing(): string | null {
  for (const tool of [SSHD, 'ssh', 'ssh-keygen', 'ssh-agent', 'ssh-add']) {
    const probe = spawnSync('sh', ['-c', `command -v ${tool}`]);
    if (probe.status !== 0) return `${tool} is not installed (apt-get install openssh-server openssh-client)`;
  }
  return null;
}

/** tap's skip option for an SSH test file: skips where OpenSSH is missing, but under CI=true fails. */
export function sshSkip(t: Test): string | false {
  const missing = sshdMissing();
  if (missing === null) return false;
  if (process.env.CI === 'true') {
    t.fail(`${missing}; CI must run the SSH tests`);
    return false;
  }
  t.comment(`skipping SSH tests: ${missing}; CI fails instead`);
  return missing;
}

/** `hostKeyTypes`: the server's host keys, ed25519 first (ssh-keygen -t names). */
export async function startSshd(t: Test, hostKeyTypes: readonly string[] = ['ed25519']): Promise<SshServer> {
  // Not t.testdir(): a test calls that for its own files, and each call empties it. A short path, too, for
  // the agent's socket (at most 107 bytes).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'env-sync-sshd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const hostKeyFiles = hostKeyTypes.map((type) => {
    const file = path.join(dir, `ssh_host_${type}_key`);
    keygen(file, '', type);
    return file;
  });
  const authorizedKeys = path.join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, '', { mode: 0o600 });
  const remoteHome = path.join(dir, 'remote-home');
  mkdirSync(remoteHome);
  const program = path.join(dir, 'env-sync-remote');
  writeFileSync(
    program,
    `#!/bin/sh\ncd '${remoteHome}' || exit 1\nENV_SYNC_HOME='${path.join(dir, 'remote-identity')}' exec '${process.execPath}' '${BIN}' "$@"\n`,
    { mode: 0o755 },
  );
  // As root, sshd needs its privilege separation directory (the Debian service creates it at boot).
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const started = await listen(t, dir, hostKeyFiles, authorizedKeys);
  const port = started.port;
  const hostKeys = Object.fromEntries(
    hostKeyTypes.map((type, i) => {
      const publicKey = readFileSync(`${hostKeyFiles[i]}.pub`, 'utf8')
        .trim()
        .split(/\s+/)
        .slice(0, 2)
        .join(' ');
      return [
        type,
        { line: `[127.0.0.1]:${port} ${publicKey}`, fingerprint: fingerprintOf(`${hostKeyFiles[i]}.pub`) },
      ];
    }),
  );
  const server: SshServer = {
    port,
    remoteHome,
    program,
    knownHostsLine: hostKeys[hostKeyTypes[0]!]!.line,
    hostKeyFingerprint: hostKeys[hostKeyTypes[0]!]!.fingerprint,
    hostKeys,
    user: os.userInfo().username,
    async installClient(home, options = {}) {
      const sshDir = path.join(home, '.ssh');
      mkdirSync(sshDir, { recursive: true, mode: 0o700 });
      const keyFile = path.join(sshDir, 'id_ed25519');
      keygen(keyFile, options.passphrase ?? '');
      const publicKey = readFileSync(`${keyFile}.pub`, 'utf8').trim();
      if (options.authorize !== false) server.authorize(publicKey);
      if (options.knownHosts !== false)
        writeFileSync(path.join(sshDir, 'known_hosts'), `${server.knownHostsLine}\n`, { mode: 0o600 });
      writeFileSync(
        path.join(sshDir, 'config'),
        `Host sshd-test\n  HostName 127.0.0.1\n  Port ${port}\n  User ${server.user}\n  IdentityFile ~/.ssh/id_ed25519\n`,
        { mode: 0o600 },
      );
      return { sshDir, keyFile, publicKey };
    },
    cloneArgs: (url, dir) => ['clone', '--remote-program', program, url, dir],
    authorize(publicKey) {
      writeFileSync(authorizedKeys, `${readFileSync(authorizedKeys, 'utf8')}${publicKey}\n`);
    },
    log: () => started.log(),
  };
  return server;
}

function keygen(file: string, passphrase = '', type = 'ed25519'): void {
  const made = spawnSync('ssh-keygen', [
    '-q',
    '-t',
    type,
    '-N',
    passphrase,
    '-C',
    'env-sync-test',
    '-f',
    file,
  ]);
  if (made.status !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`);
  chmodSync(file, 0o600);
}

function fingerprintOf(publicKeyFile: string): string {
  const printed = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile], { encoding: 'utf8' });
  return printed.stdout.split(/\s+/)[1]!;
}

/** A port the system says is free now (nothing listens on it); sshd may still lose it, so `listen` retries. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function listen(
  t: Test,
  dir: string,
  hostKeyFiles: readonly string[],
  authorizedKeys: string,
): Promise<{ port: number; log(): string }> {
  let lastLog = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const config = path.join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        ...hostKeyFiles.map((file) => `HostKey ${file}`),
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'MaxStartups 50',
        '',
      ].join('\n'),
    );
    const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    t.teardown(() => stop(child));
    const ready = await new Promise<boolean>((resolve) => {
      const onData = () => {
        if (log.includes('Server listening on 127.0.0.1')) resolve(true);
      };
      child.stderr!.on('data', onData);
      child.once('exit', () => resolve(false));
    });
    if (ready) return { port, log: () => log };
    lastLog = log;
  }
  throw new Error(`sshd did not start: ${lastLog}`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** `ssh-agent -D -a <socket>` for the test, stopped at teardown; returns SSH_AUTH_SOCK. */
export async function startAgent(t: Test): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'env-sync-agent-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = path.join(dir, 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => stop(child));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    // It prints `SSH_AUTH_SOCK=…; export SSH_AUTH_SOCK;` once the socket listens.
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('SSH_AUTH_SOCK=')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`ssh-agent exited with ${code}`)));
  });
  return socket;
}

/** `ssh-add <key>` into the agent at `socket`. */
export function addToAgent(socket: string, keyFile: string): void {
  const added = spawnSync('ssh-add', [keyFile], {
    env: { ...process.env, SSH_AUTH_SOCK: socket },
    encoding: 'utf8',
  });
  if (added.status !== 0) throw new Error(`ssh-add failed: ${added.stderr}`);
}

/** A test sshd and, in its remote home, a trusted-owner-ssh repository `project` holding K=v. */
export async function sshdWithProject(t: Test): Promise<SshServer> {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' });
  return sshd;
}
