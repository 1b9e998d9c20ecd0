// Peers for sync tests: repositories in a test directory, each with its own ENV_SYNC_HOME, commits made through
// the model API (fast), sync driven through the built CLI as real processes (as a user would).

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Test } from 'tap';
import { commitEnvironment, readEnvironment, type Session } from '../../src/model/environment.ts';
import { plainCodec } from '../../src/model/snapshot-codec.ts';
import type { ObjectId } from '../../src/store/object-id.ts';
import { encodeObject, plainSnapshot } from '../../src/store/objects.ts';
import {
  initRepository,
  openRepository,
  type Repository,
  type SecurityMode,
} from '../../src/store/repository.ts';
import { createSyncServer } from '../../src/transport/http-server.ts';
import { BIN, type CliResult, runCli } from '../helpers/cli.ts';

export interface Peer {
  readonly dir: string;
  readonly home: string;
  cli(args: readonly string[], input?: string): Promise<CliResult>;
  /** Runs the CLI and fails the test unless it exits 0. */
  ok(t: Test, args: readonly string[], input?: string): Promise<CliResult>;
  /** Commits `changes` (null deletes a key) on top of `env`. */
  commit(changes: Record<string, string | null>, env?: string): Promise<ObjectId>;
  entries(env?: string): Promise<Record<string, string>>;
  ref(name: string): Promise<ObjectId | null>;
  session(): Promise<Session>;
}

export function peer(root: string, name: string): Peer {
  const dir = path.join(root, name);
  const home = path.join(root, `.home-${name}`);
  mkdirSync(dir, { recursive: true });
  const session = async (): Promise<Session> => ({
    repo: await openRepository(dir),
    peerId: `peer-${name}`,
    codec: plainCodec,
    signCommit: null,
  });
  const self: Peer = {
    dir,
    home,
    cli: (args, input) => runCli(args, { cwd: dir, home, input, timeoutMs: 60_000 }),
    async ok(t, args, input) {
      const result = await self.cli(args, input);
      t.equal(
        result.code,
        0,
        `${name}: env-sync ${args.join(' ')}${result.code === 0 ? '' : `: ${result.stderr.trim()}`}`,
      );
      return result;
    },
    async commit(changes, env = 'main') {
      const s = await session();
      const state = await readEnvironment(s, env);
      const entries = new Map(state.entries);
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) entries.delete(key);
        else entries.set(key, value);
      }
      return commitEnvironment(s, state, { entries, message: `change ${Object.keys(changes).join(',')}` });
    },
    async entries(env = 'main') {
      return Object.fromEntries((await readEnvironment(await session(), env)).entries);
    },
    async ref(name) {
      return (await openRepository(dir)).refs.read(name);
    },
    session,
  };
  return self;
}

/** A new repository (a group of its own) in `root/name`. */
export async function initPeer(
  root: string,
  name: string,
  mode: SecurityMode = 'dev-plaintext-http',
): Promise<Peer> {
  const p = peer(root, name);
  await initRepository(p.dir, { mode });
  return p;
}

/** `env-sync serve --listen 127.0.0.1:0` in `p`, stopped by SIGTERM at teardown. */
export function serve(t: Test, p: Peer): Promise<Served> {
  return serveAt(t, p, '127.0.0.1:0');
}

export interface Served {
  readonly url: string;
  readonly child: ChildProcess;
  stderr(): string;
  /** What serve printed up to its first `listening on` line. */
  stdout(): string;
}

/** `env-sync serve --listen <listen>` in `p` (http:// or https://, as its mode serves). */
export async function serveAt(t: Test, p: Pick<Peer, 'dir' | 'home'>, listen: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--listen', listen], {
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
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (https?:\/\/\S+)\n/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', () => reject(new Error(`serve exited: ${err}`)));
  });
  return { url, child, stderr: () => err, stdout: () => out };
}

/**
 * `commits` commits on refs/heads/main over a `keys`-key environment, one key changing per commit, written
 * through the store API in one durable batch (fast). Returns the tip.
 */
export async function buildHistory(dir: string, keys: number, commits: number): Promise<ObjectId> {
  const repo = await openRepository(dir);
  const entries = new Map<string, string>();
  for (let k = 0; k < keys; k++) entries.set(`KEY_${String(k).padStart(4, '0')}`, `value-${k}-0`);
  const written: ObjectId[] = [];
  let parent: ObjectId | null = null;
  for (let c = 0; c < commits; c++) {
    const k = (c * 7) % keys;
    entries.set(`KEY_${String(k).padStart(4, '0')}`, `value-${k}-${c + 1}`);
    const snapshot = (
      await repo.objects.writeRaw(encodeObject(plainSnapshot(entries)), undefined, { durable: false })
    ).id;
    const commit: ObjectId = (
      await repo.objects.writeRaw(
        encodeObject({
          type: 'commit',
          snapshot,
          parents: parent === null ? [] : [parent],
          author: 'peer-a',
          time: 1_700_000_000 + c,
          message: `change ${k}`,
          members: null,
          signature: new Uint8Array(0),
        }),
        undefined,
        { durable: false },
      )
    ).id;
    written.push(snapshot, commit);
    parent = commit;
  }
  await repo.objects.syncObjects(written);
  await repo.refs.update('refs/heads/main', parent!, { peer: 'peer-a', reason: 'history', expected: null });
  return parent!;
}

/**
 * The HTTP sync server of `repo`, in this process on a loopback port (whatever its mode, unlike `serve`),
 * recording the method of every request it receives; closed at teardown.
 */
export async function serveInProcess(
  t: Test,
  repo: Repository,
): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createSyncServer(repo);
  server.on('request', (request) => requests.push(request.method ?? '?'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}
