// `env-sync demo`: a real two-peer sync on loopback in a temporary directory, each peer with its own identity
// home: set a secret on one, serve it over dev-plaintext-http, clone, change, fetch and merge on the other.

import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { EnvSyncCommand } from '../base-command.ts';

export class DemoCommand extends EnvSyncCommand {
  static override paths = [['demo']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'run a two-peer sync on loopback and print what happens',
    details: `
      Creates two peers, \`alice\` and \`bob\`, in a temporary directory, each with its own \`ENV_SYNC_HOME\`. Alice
      makes a \`dev-plaintext-http\` repository, sets \`DEMO_TOKEN\` and serves it on a free loopback port; Bob
      clones it; Alice changes the value; Bob fetches and merges, then prints the value he now has. Every
      step is a real \`env-sync\` process, echoed as it runs. The server is stopped and the directory removed at
      the end, even on failure. The value is a made-up demo string, never a real secret.
    `,
    examples: [['Watch two peers sync', '$0 demo']],
  });

  async execute(): Promise<number> {
    const root = await fs.mkdtemp(path.join(tmpdir(), 'env-sync-demo-'));
    const alice = path.join(root, 'alice');
    const bob = path.join(root, 'bob');
    await fs.mkdir(alice);
    let server: ChildProcess | null = null;
    let summary = '';
    try {
      const run = (cwd: string, args: string[], input = '') => this.#run(root, cwd, args, input);
      await run(alice, ['init', '--mode', 'dev-plaintext-http']);
      await run(alice, ['set', 'DEMO_TOKEN'], 'demo-value-1\n');
      const started = await this.#serve(root, alice);
      server = started.child;
      await run(root, ['clone', started.url, 'bob']);
      await run(alice, ['set', 'DEMO_TOKEN'], 'demo-value-2\n');
      await run(bob, ['fetch', 'origin']);
      await run(bob, ['merge', 'origin/main']);
      const value = (await run(bob, ['get', 'DEMO_TOKEN'])).trim();
      summary = `bob now has DEMO_TOKEN=${value} (set by alice, synced over ${started.url})`;
    } finally {
      if (server !== null && server.exitCode === null) {
        const exited = new Promise((resolve) => server?.once('exit', resolve));
        server.kill('SIGTERM');
        await exited;
      }
      await fs.rm(root, { recursive: true, force: true });
    }
    this.print(`\n${summary}`);
    return 0;
  }

  #env(root: string, cwd: string): NodeJS.ProcessEnv {
    const peer = path.basename(cwd) === path.basename(root) ? 'bob' : path.basename(cwd);
    return { ...process.env, ENV_SYNC_HOME: path.join(root, `.home-${peer}`) };
  }

  async #run(root: string, cwd: string, args: string[], input: string): Promise<string> {
    const who = path.basename(cwd) === path.basename(root) ? 'bob' : path.basename(cwd);
    this.print(`${who}$ env-sync ${args.join(' ')}${input === '' ? '' : '   # value from stdin'}`);
    const child = spawn(process.execPath, [process.argv[1]!, ...args], {
      cwd,
      env: this.#env(root, cwd),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(input);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      this.context.stdout.write(indent(chunk.toString()));
    });
    child.stderr.on('data', (chunk: Buffer) => this.context.stdout.write(indent(chunk.toString())));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new EnvSyncError('E_IO', `demo step 'env-sync ${args[0]}' failed (exit ${code})`);
    return out;
  }

  async #serve(root: string, cwd: string): Promise<{ child: ChildProcess; url: string }> {
    this.print('alice$ env-sync serve --listen 127.0.0.1:0 &');
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
        const match = /listening on (http:\/\/\S+)/.exec(seen);
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

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '    ');
}
