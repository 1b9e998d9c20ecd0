// Peers of one secure-peer group for the mutual-TLS tests: each has its own identity home and repository,
// drives the built CLI as a user would, and `serve` runs as a real child on a random loopback port.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { BIN, type CliResult, runCli } from '../helpers/cli.ts';

export interface SecurePeer {
  readonly name: string;
  readonly dir: string;
  readonly home: string;
  cli(args: readonly string[], input?: string, cwd?: string): Promise<CliResult>;
  ok(t: Test, args: readonly string[], input?: string, cwd?: string): Promise<CliResult>;
}

/** A peer named `name` in `root` (its repository at `root/name`, not created). */
export function securePeer(root: string, name: string): SecurePeer {
  const dir = path.join(root, name);
  const home = path.join(root, `.home-${name}`);
  const self: SecurePeer = {
    name,
    dir,
    home,
    cli: (args, input, cwd = dir) => {
      mkdirSync(cwd, { recursive: true });
      return runCli(args, { cwd, home, input, timeoutMs: 120_000 });
    },
    async ok(t, args, input, cwd) {
      const result = await self.cli(args, input, cwd);
      t.equal(result.code, 0, `${name}: env-sync ${args.map(redact).join(' ')}${result.code === 0 ? '' : `: ${result.stderr.trim()}`}`);
      return result;
    },
  };
  return self;
}

/** A peer that founds a group (`env-sync init`, secure-peer) holding `values` in main. */
export async function founder(t: Test, root: string, name: string, values: Record<string, string>): Promise<SecurePeer> {
  const p = securePeer(root, name);
  await p.ok(t, ['init']);
  for (const [key, value] of Object.entries(values)) await p.ok(t, ['set', key], value);
  return p;
}

export interface Served {
  readonly url: string;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly fingerprint: string;
  readonly child: ChildProcess;
  stderr(): string;
  /** SIGTERM, resolves the exit code. */
  stop(): Promise<number | null>;
}

/** `env-sync serve --listen 127.0.0.1:0` in `p`, killed at teardown if still running. */
export async function serveTls(t: Test, p: SecurePeer): Promise<Served> {
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, BIN, 'serve', '--listen', '127.0.0.1:0'], {
    cwd: p.dir,
    env: { PATH: process.env.PATH ?? '', HOME: p.home, ENV_SYNC_HOME: p.home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const out = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (/listening on https:\/\/\S+\n/.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
    child.once('exit', () => reject(new Error(`serve exited: ${err}`)));
  });
  const url = /listening on (https:\/\/\S+)/.exec(out)![1]!;
  return {
    url,
    address: url.slice('https://'.length),
    fingerprint: /^certificate ([0-9a-f]{64})$/m.exec(out)![1]!,
    child,
    stderr: () => err,
    stop() {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `peer invite` in `inviter` (extra arguments as given); the token. */
export async function invite(t: Test, inviter: SecurePeer, served: Served, args: readonly string[] = []): Promise<string> {
  const result = await inviter.ok(t, ['peer', 'invite', '--address', served.address, ...args]);
  return result.stdout.trim();
}

/** `clone <token>` as a new peer `name` into root/name; the peer and its id. */
export async function joinWith(
  t: Test,
  root: string,
  name: string,
  token: string,
): Promise<{ peer: SecurePeer; peerId: string; result: CliResult }> {
  const p = securePeer(root, name);
  const result = await p.ok(t, ['clone', token, p.dir], undefined, root);
  const peerId = /You are (\S+),/.exec(result.stdout)?.[1] ?? '';
  return { peer: p, peerId, result };
}

/** An invitation token is a secret until used: never in a test's output. */
function redact(arg: string): string {
  return arg.startsWith('env-sync-invite-') ? '<token>' : arg;
}
