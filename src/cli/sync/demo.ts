// `env-sync demo`: a real two-peer sync on loopback in a temporary directory, each peer with its own identity
// home. secure-peer (default): invite, join, approve, sync, read, revoke and the refused pull; with
// `--mode dev-plaintext-http`: serve over plain HTTP, clone, change, fetch and merge.

import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { EnvSyncError } from '../../errors.ts';
import { EnvSyncCommand } from '../base-command.ts';

/** One step: who runs it, the arguments, and how it is shown (a person types exactly that). */
interface Step {
  readonly cwd: string;
  readonly args: readonly string[];
  readonly input?: string;
  readonly shown?: string;
  /** Its stdout is not echoed (the invitation token, a secret until used). */
  readonly hideOutput?: boolean;
  /** The step is meant to fail (the revoked peer's pull). */
  readonly refused?: boolean;
}

export class DemoCommand extends EnvSyncCommand {
  static override paths = [['demo']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'run a two-peer sync on loopback and print what happens',
    details: `
      Creates two peers, \`alice\` and \`bob\`, in a temporary directory, each with its own \`ENV_SYNC_HOME\`, and
      runs every step as a real \`env-sync\` process, echoed as the command a person types.

      \`secure-peer\` (the default): Alice makes a repository, sets \`DEMO_TOKEN\`, serves it over mutual TLS on a
      free loopback port and invites Bob; Bob clones with the invitation token and is pending; Alice approves
      him; Bob pulls and reads the value; Alice changes it and Bob pulls again; Alice revokes Bob, and Bob's
      next pull is refused.

      \`--mode dev-plaintext-http\`: Alice serves over plain HTTP, Bob clones, Alice changes the value, Bob
      fetches and merges. The server is stopped and the directory removed at the end, even on failure. The
      value is a made-up demo string, never a real secret.
    `,
    examples: [
      ['Watch two peers join, sync and revoke over mutual TLS', '$0 demo'],
      ['The plain-HTTP debugging transport', '$0 demo --mode dev-plaintext-http'],
    ],
  });

  mode = Option.String('--mode', 'secure-peer', {
    description: 'secure-peer (default) or dev-plaintext-http',
    validator: t.isEnum(['secure-peer', 'dev-plaintext-http']),
  });

  async execute(): Promise<number> {
    const root = await fs.mkdtemp(path.join(tmpdir(), 'env-sync-demo-'));
    const alice = path.join(root, 'alice');
    const bob = path.join(root, 'bob');
    await fs.mkdir(alice);
    const servers: ChildProcess[] = [];
    let summary = '';
    try {
      const run = (step: Step) => this.#run(root, step);
      const serve = async () => {
        const started = await this.#serve(root, alice);
        servers.push(started.child);
        return started.url;
      };
      summary =
        this.mode === 'secure-peer'
          ? await securePeerDemo(run, serve, alice, bob, root)
          : await plaintextDemo(run, serve, alice, bob, root);
    } finally {
      for (const server of servers.filter((child) => child.exitCode === null)) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        await exited;
      }
      await fs.rm(root, { recursive: true, force: true });
    }
    this.print(`\n${summary}`);
    return 0;
  }

  #env(root: string, cwd: string): NodeJS.ProcessEnv {
    return { ...process.env, ENV_SYNC_HOME: path.join(root, `.home-${who(root, cwd)}`) };
  }

  async #run(root: string, step: Step): Promise<string> {
    const shown = step.shown ?? `env-sync ${step.args.join(' ')}`;
    this.print(`${who(root, step.cwd)}$ ${shown}${step.input === undefined ? '' : '   # value from stdin'}`);
    const child = spawn(process.execPath, [process.argv[1]!, ...step.args], {
      cwd: step.cwd,
      env: this.#env(root, step.cwd),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(step.input ?? '');
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (step.hideOutput !== true) this.context.stdout.write(indent(chunk.toString()));
    });
    child.stderr.on('data', (chunk: Buffer) => this.context.stdout.write(indent(chunk.toString())));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if ((code === 0) === (step.refused === true)) {
      const expected =
        step.refused === true ? 'succeeded but should have been refused' : `failed (exit ${code})`;
      throw new EnvSyncError('E_IO', `demo step 'env-sync ${step.args[0]}' ${expected}`);
    }
    return out;
  }

  async #serve(root: string, cwd: string): Promise<{ child: ChildProcess; url: string }> {
    this.print(`${who(root, cwd)}$ env-sync serve --listen 127.0.0.1:0 &`);
    const child = spawn(process.execPath, [process.argv[1]!, 'serve', '--listen', '127.0.0.1:0'], {
      cwd,
      env: this.#env(root, cwd),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => this.context.stdout.write(indent(chunk.toString())));
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(
        () => reject(new EnvSyncError('E_IO', 'demo server did not start in 10 s')),
        10_000,
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /listening on (https?:\/\/\S+)/.exec(seen);
        if (match !== null) {
          clearTimeout(timer);
          this.context.stdout.write(indent(seen));
          resolve(match[1]!);
        }
      });
      child.once('exit', () => reject(new EnvSyncError('E_IO', 'demo server exited before listening')));
    });
    return { child, url };
  }
}

type Run = (step: Step) => Promise<string>;

async function securePeerDemo(
  run: Run,
  serve: () => Promise<string>,
  alice: string,
  bob: string,
  root: string,
) {
  await run({ cwd: alice, args: ['identity', 'init', '--name', 'alice'] });
  await run({ cwd: alice, args: ['init'] });
  await run({ cwd: alice, args: ['set', 'DEMO_TOKEN'], input: 'demo-value-1\n' });
  const url = await serve();
  const invite = { args: ['peer', 'invite'], shown: 'TOKEN=$(env-sync peer invite)', hideOutput: true };
  const token = (await run({ cwd: alice, ...invite })).trim();
  await run({ cwd: root, args: ['identity', 'init', '--name', 'bob'] });
  const cloned = await run({
    cwd: root,
    args: ['clone', token, 'bob'],
    shown: 'env-sync clone "$TOKEN" bob',
  });
  const bobId = /You are (\S+),/.exec(cloned)?.[1];
  if (bobId === undefined) throw new EnvSyncError('E_IO', 'demo: the clone did not name the new peer');
  await run({ cwd: alice, args: ['peer', 'approve', bobId] });
  await run({ cwd: bob, args: ['pull'] });
  const first = (await run({ cwd: bob, args: ['get', 'DEMO_TOKEN'] })).trim();
  await run({ cwd: alice, args: ['set', 'DEMO_TOKEN'], input: 'demo-value-2\n' });
  await run({ cwd: bob, args: ['pull'] });
  const second = (await run({ cwd: bob, args: ['get', 'DEMO_TOKEN'] })).trim();
  await run({ cwd: alice, args: ['peer', 'revoke', bobId] });
  await run({ cwd: bob, args: ['pull'], refused: true });
  return `bob read DEMO_TOKEN=${first}, then ${second} (set by alice, synced over ${url} with mutual TLS); after the revoke alice's server refused him`;
}

async function plaintextDemo(
  run: Run,
  serve: () => Promise<string>,
  alice: string,
  bob: string,
  root: string,
) {
  await run({ cwd: alice, args: ['init', '--mode', 'dev-plaintext-http'] });
  await run({ cwd: alice, args: ['set', 'DEMO_TOKEN'], input: 'demo-value-1\n' });
  const url = await serve();
  await run({ cwd: root, args: ['clone', url, 'bob'] });
  await run({ cwd: alice, args: ['set', 'DEMO_TOKEN'], input: 'demo-value-2\n' });
  await run({ cwd: bob, args: ['fetch', 'origin'] });
  await run({ cwd: bob, args: ['merge', 'origin/main'] });
  const value = (await run({ cwd: bob, args: ['get', 'DEMO_TOKEN'] })).trim();
  return `bob now has DEMO_TOKEN=${value} (set by alice, synced over ${url})`;
}

function who(root: string, cwd: string): string {
  return path.basename(cwd) === path.basename(root) ? 'bob' : path.basename(cwd);
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '    ');
}
