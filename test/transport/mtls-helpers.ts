// Peers of one secure-peer group for the mutual-TLS tests: each has its own identity home and repository,
// drives the built CLI as a user would, and `serve` runs as a real child on a random loopback port.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { type CliResult, runCli } from '../helpers/cli.ts';
import { type Served, serveAt } from '../sync/helpers.ts';

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
      t.equal(
        result.code,
        0,
        `${name}: env-sync ${args.map(redact).join(' ')}${result.code === 0 ? '' : `: ${result.stderr.trim()}`}`,
      );
      return result;
    },
  };
  return self;
}

/** A peer that founds a group (`env-sync init`, secure-peer) holding `values` in main. */
export async function founder(
  t: Test,
  root: string,
  name: string,
  values: Record<string, string>,
): Promise<SecurePeer> {
  const p = securePeer(root, name);
  await p.ok(t, ['init', '--name', name]);
  for (const [key, value] of Object.entries(values)) await p.ok(t, ['set', key], value);
  return p;
}

export interface ServedTls extends Served {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly fingerprint: string;
  /** SIGTERM, resolves the exit code. */
  stop(): Promise<number | null>;
}

/** `env-sync serve --listen 127.0.0.1:0` in `p`, killed at teardown if still running. */
export async function serveTls(t: Test, p: SecurePeer): Promise<ServedTls> {
  const served = await serveAt(t, p, '127.0.0.1:0');
  return {
    ...served,
    address: served.url.slice('https://'.length),
    fingerprint: /^certificate ([0-9a-f]{64})$/m.exec(served.stdout())![1]!,
    stop() {
      const exited = new Promise<number | null>((resolve) => served.child.once('exit', resolve));
      served.child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `peer invite` in `inviter` (extra arguments as given); the token. */
export async function invite(
  t: Test,
  inviter: SecurePeer,
  served: ServedTls,
  args: readonly string[] = [],
): Promise<string> {
  const result = await inviter.ok(t, ['peer', 'invite', '--address', served.address, ...args]);
  return result.stdout.trim();
}

/** `clone <token>` (or `clone -` with the token on stdin) as a new peer `name` into root/name; the peer and its id. */
export async function joinWith(
  t: Test,
  root: string,
  name: string,
  token: string,
  how: 'argument' | 'stdin' = 'argument',
): Promise<{ peer: SecurePeer; peerId: string; result: CliResult }> {
  const p = securePeer(root, name);
  const result =
    how === 'stdin'
      ? await p.ok(t, ['clone', '--name', name, '-', p.dir], token, root)
      : await p.ok(t, ['clone', '--name', name, token, p.dir], undefined, root);
  const peerId = /You are (\S+),/.exec(result.stdout)?.[1] ?? '';
  return { peer: p, peerId, result };
}

/** An invitation token is a secret until used: never in a test's output. */
function redact(arg: string): string {
  return arg.startsWith('env-sync-invite-') ? '<token>' : arg;
}

/** A test directory with `alice`, who founded a group holding `values` and serves it. */
export async function servedGroup(
  t: Test,
  values: Record<string, string>,
): Promise<{ root: string; alice: SecurePeer; served: ServedTls }> {
  const root = t.testdir();
  const alice = await founder(t, root, 'alice', values);
  return { root, alice, served: await serveTls(t, alice) };
}
