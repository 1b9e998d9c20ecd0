// Fetch benchmark: the same history in env-sync and in git (one file per key, one commit per change): a full
// fetch of 1,000 commits × 200 keys, then an incremental fetch of one changed key; env-sync over http://
// (`env-sync serve`) beside `git fetch` from `git daemon`, both on loopback behind a byte-counting proxy.
// Each fetch is timed --runs times (default 5) into fresh copies of the destination; prints median times, bytes
// on the wire, ratios, and the peak RSS of the env-sync fetch process.
//
// Run: `node scripts/build.mjs && node bench/fetch.mjs [--commits N] [--keys N] [--runs N]`.
// Figures: docs/performance.md#sync.

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-src.mjs';
import { countingProxy } from './fetch-proxy.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/env-sync.js');
const WORK = path.join(os.tmpdir(), `env-sync-bench-fetch-${process.pid}`);
const argValue = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const COMMITS = argValue('--commits', 1000);
const RUNS = argValue('--runs', 5);
const KEYS = argValue('--keys', 200);
const HOME = path.join(WORK, '.home');
const ENV = { ...process.env, ENV_SYNC_HOME: HOME, GIT_CONFIG_NOSYSTEM: '1', HOME: WORK };

const store = await loadStore();
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const children = [];
try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 300));
  rmSync(WORK, { recursive: true, force: true });
}

async function main() {
  // The history: every commit changes one key to a fresh random value (secrets look random).
  const keyName = (k) => `KEY_${String(k).padStart(4, '0')}`;
  const changes = Array.from({ length: COMMITS + 1 }, (_, c) => ({
    key: keyName((c * 7) % KEYS),
    value: randomBytes(16).toString('hex'),
  }));
  const initial = new Map(
    Array.from({ length: KEYS }, (_, k) => [keyName(k), randomBytes(16).toString('hex')]),
  );

  // This machine's identity exists before any fetch, as it would for a user: its creation is not timed.
  await run(WORK, [process.execPath, BIN, 'identity', 'init']);
  const esSource = path.join(WORK, 'es-source');
  const repo = await store.initRepository(esSource, { mode: 'dev-plaintext-http' });
  const appendEs = await esHistoryWriter(repo, initial);
  await appendEs(changes.slice(0, COMMITS));
  const gitSource = path.join(WORK, 'git-source');
  gitFastImport(gitSource, initial, changes.slice(0, COMMITS), true);

  const es = await startEnvSyncServer(esSource);
  const git = await startGitDaemon();
  const esProxy = await countingProxy(es.port);
  const gitProxy = await countingProxy(git.port);

  const esDest = path.join(WORK, 'es-dest');
  await store.initRepository(esDest, {
    mode: 'dev-plaintext-http',
    group: repo.group,
    groupNonce: repo.groupNonce,
  });
  await run(esDest, [process.execPath, BIN, 'remote', 'add', 'origin', `http://127.0.0.1:${esProxy.port}`]);
  const gitDest = path.join(WORK, 'git-dest');
  execFileSync('git', ['init', '-q', gitDest], { env: ENV });
  const gitUrl = `git://127.0.0.1:${gitProxy.port}/git-source`;
  const gitFetch = ['git', 'fetch', '-q', gitUrl, '+refs/heads/main:refs/remotes/origin/main'];
  const rssFile = path.join(WORK, 'rss');
  // --profile DIR: write V8 CPU profiles of the env-sync fetch processes there.
  const profile = process.argv.includes('--profile')
    ? ['--cpu-prof', `--cpu-prof-dir=${process.argv[process.argv.indexOf('--profile') + 1]}`]
    : [];
  // The command as installed (its #! line: env, which execs node on it); with --profile, node itself.
  const esFetch =
    profile.length > 0 ? [process.execPath, ...profile, BIN, 'fetch', 'origin'] : [BIN, 'fetch', 'origin'];
  // Peak RSS comes from a separate, untimed run of the same fetch into a copy of the repository: the preload
  // that reports it starts Node's ESM loader (≈ 28M instructions), which the timed run must not pay.
  const esFetchWithRss = [
    process.execPath,
    '--import',
    path.join(ROOT, 'bench/fetch-rss.mjs'),
    BIN,
    'fetch',
    'origin',
  ];

  const rows = [];
  // Each fetch runs RUNS times, env-sync and git in turn, each time into a fresh copy of the destination as
  // it was before the fetch; the table gives the medians (bytes are the same every time).
  const measure = async (name) => {
    const fresh = (dest) => {
      const copy = `${dest}-run`;
      rmSync(copy, { recursive: true, force: true });
      cpSync(dest, copy, { recursive: true });
      return copy;
    };
    await run(fresh(esDest), esFetchWithRss, { ENV_SYNC_BENCH_RSS: rssFile });
    esProxy.take();
    const esRss = Number(readFileSync(rssFile, 'utf8'));
    const esTimes = [];
    const gitTimes = [];
    let esBytes;
    let gitBytes;
    for (let i = 0; i < RUNS; i++) {
      const esCopy = fresh(esDest);
      esTimes.push(await timed(() => run(esCopy, esFetch)));
      esBytes = esProxy.take();
      const gitCopy = fresh(gitDest);
      gitTimes.push(await timed(() => run(gitCopy, gitFetch)));
      gitBytes = gitProxy.take();
    }
    // The next measurement starts from where this fetch left the destinations.
    await run(esDest, esFetch);
    await run(gitDest, gitFetch);
    esProxy.take();
    gitProxy.take();
    rows.push({ name, esTime: median(esTimes), gitTime: median(gitTimes), esBytes, gitBytes, esRss });
  };
  await measure(`full fetch (${COMMITS} commits × ${KEYS} keys)`);
  await appendEs(changes.slice(COMMITS));
  gitFastImport(gitSource, initial, changes.slice(COMMITS), false);
  await measure('incremental fetch (1 changed key)');

  const fmt = (n) => n.toLocaleString('en-US');
  console.log(
    `node ${process.version}, git ${execFileSync('git', ['--version']).toString().trim().split(' ')[2]}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}, median of ${RUNS} runs`,
  );
  console.log(
    '| fetch | env-sync ms | git ms | time ratio | env-sync bytes (down/up) | git bytes (down/up) | bytes ratio | env-sync peak RSS |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const esTotal = r.esBytes.down + r.esBytes.up;
    const gitTotal = r.gitBytes.down + r.gitBytes.up;
    console.log(
      `| ${r.name} | ${r.esTime.toFixed(0)} | ${r.gitTime.toFixed(0)} | ${(r.esTime / r.gitTime).toFixed(2)} | ${fmt(esTotal)} (${fmt(r.esBytes.down)}/${fmt(r.esBytes.up)}) | ${fmt(gitTotal)} (${fmt(r.gitBytes.down)}/${fmt(r.gitBytes.up)}) | ${(esTotal / gitTotal).toFixed(2)} | ${(r.esRss / 1048576).toFixed(1)} MB |`,
    );
  }
  console.log(`env-sync server peak RSS: ${((await es.stop()) / 1048576) | 0} MB`);
  await esProxy.close();
  await gitProxy.close();
}

// Asynchronous on purpose: the counting proxies run in this process's event loop.
function run(cwd, argv, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      env: { ...ENV, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')}: exit ${code}: ${err}`)),
    );
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Appends commits to refs/heads/main through the store API (objects synced in one batch, as fetch does). */
async function esHistoryWriter(repo, initial) {
  const entries = new Map(initial);
  let parent = null;
  let time = 1_700_000_000;
  return async (batch) => {
    const written = [];
    const old = parent;
    for (const change of batch) {
      entries.set(change.key, change.value);
      const write = async (object) =>
        (await repo.objects.writeRaw(store.encodeObject(object), undefined, { durable: false })).id;
      const snapshot = await write(store.plainSnapshot(entries));
      const commit = await write({
        type: 'commit',
        snapshot,
        parents: parent === null ? [] : [parent],
        author: 'bench-peer',
        time: time++,
        message: `Change ${change.key}`,
        members: null,
      });
      written.push(snapshot, commit);
      parent = commit;
    }
    await repo.objects.syncObjects(written);
    await repo.refs.update('refs/heads/main', parent, {
      peer: 'bench',
      reason: 'bench history',
      expected: old,
    });
  };
}

/** The same history in git: one file per key, one commit per change, written with `git fast-import`. */
function gitFastImport(dir, initial, batch, first) {
  if (first) execFileSync('git', ['init', '-q', '--bare', dir], { env: ENV });
  let stream = '';
  let mark = 1;
  let time = 1_700_000_000 + (first ? 0 : 10_000_000);
  const commit = (message, files, from) => {
    stream += `commit refs/heads/main\nmark :${mark++}\ncommitter Bench <bench@example.test> ${time++} +0000\n`;
    stream += `data ${Buffer.byteLength(message)}\n${message}\n`;
    if (from) stream += `from ${from}\n`;
    for (const [name, value] of files)
      stream += `M 100644 inline ${name}\ndata ${Buffer.byteLength(value)}\n${value}\n`;
    stream += '\n';
  };
  if (first) commit('Initial', [...initial], null);
  for (const [i, change] of batch.entries()) {
    commit(
      `Change ${change.key}`,
      [[change.key, change.value]],
      i === 0 && !first ? 'refs/heads/main^0' : null,
    );
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: stream, env: ENV });
}

async function startEnvSyncServer(dir) {
  const rss = path.join(WORK, 'server-rss');
  const profile = process.argv.includes('--profile')
    ? ['--cpu-prof', `--cpu-prof-dir=${process.argv[process.argv.indexOf('--profile') + 1]}/server`]
    : [];
  const child = spawn(
    process.execPath,
    [...profile, '--import', path.join(ROOT, 'bench/fetch-rss.mjs'), BIN, 'serve', '--listen', '127.0.0.1:0'],
    {
      cwd: dir,
      env: { ...ENV, ENV_SYNC_BENCH_RSS: rss },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  children.push(child);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', () => reject(new Error('env-sync serve exited')));
  });
  return {
    port,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      return Number(readFileSync(rss, 'utf8'));
    },
  };
}

async function startGitDaemon() {
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const child = spawn(
    'git',
    [
      'daemon',
      '--export-all',
      `--base-path=${WORK}`,
      '--listen=127.0.0.1',
      `--port=${port}`,
      '--reuseaddr',
      WORK,
    ],
    {
      env: ENV,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(child);
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port };
}

async function loadStore() {
  return bundleSources('fetch-store', [
    "export { initRepository } from './src/store/repository.ts';",
    "export { encodeObject, plainSnapshot } from './src/store/objects.ts';",
  ]);
}
