// Fetch benchmark: a full fetch of a history, then an incremental fetch of one changed key, timed --runs times
// (default 5) into fresh copies of the destination; prints median times, bytes on the wire and ratios, each
// fetch over http:// (`env-sync serve`) on loopback behind a byte-counting proxy.
// - By default beside git (`git fetch` from `git daemon`, one file per key, one commit per change), with the
//   peak RSS of the env-sync fetch process.
// - `--baseline DIR` compares this build with the build in DIR (its bin/ and dist/) instead of git: each build
//   fetches from its own server, in turn, the same history. This is how an optimization is measured against
//   the build without it.
// History: --commits (default 1,000) commits spread over --envs environments (default 1) of --keys keys
// (default 200), each commit changing one key to a fresh random value. `--encrypted` stores age snapshots
// sealed to --recipients readers (default 50), as the default secure-peer mode does; their bytes are made
// as age writes them (stanza lines, random shares, wrapped keys, MAC and ciphertext) without the X25519 work.
//
// Run: `node scripts/build.mjs && node bench/fetch.mjs [--commits N] [--envs N] [--keys N] [--encrypted]
// [--recipients N] [--runs N] [--baseline DIR]`. Figures: docs/performance.md#sync.

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
  return at < 0 ? fallback : process.argv[at + 1];
};
const COMMITS = Number(argValue('--commits', 1000));
const RUNS = Number(argValue('--runs', 5));
const KEYS = Number(argValue('--keys', 200));
const ENVS = Number(argValue('--envs', 1));
const ENCRYPTED = process.argv.includes('--encrypted');
const RECIPIENTS = Number(argValue('--recipients', 50));
const BASELINE = argValue('--baseline', null);
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
  // The history: commit c changes one key of environment c % ENVS to a fresh random value (secrets look random).
  const keyName = (k) => `KEY_${String(k).padStart(4, '0')}`;
  const envName = (e) => (ENVS === 1 ? 'main' : `env-${String(e).padStart(2, '0')}`);
  const changes = Array.from({ length: COMMITS + 1 }, (_, c) => ({
    env: envName(c % ENVS),
    key: keyName((Math.floor(c / ENVS) * 7) % KEYS),
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

  // A side is one fetching program with its server: this build, then git or the baseline build.
  const esSide = async (name, bin) => {
    const server = await startEnvSyncServer(esSource, bin, name);
    const proxy = await countingProxy(server.port);
    const dest = path.join(WORK, `dest-${name}`);
    await store.initRepository(dest, {
      mode: 'dev-plaintext-http',
      group: repo.group,
      groupNonce: repo.groupNonce,
    });
    await run(dest, [process.execPath, bin, 'remote', 'add', 'origin', `http://127.0.0.1:${proxy.port}`]);
    return { name, server, proxy, dest, fetch: [bin, 'fetch', 'origin'], serverCpu: server.cpu };
  };
  const sides = [await esSide('env-sync', BIN)];
  const gitSource = path.join(WORK, 'git-source');
  if (BASELINE !== null) sides.push(await esSide('baseline', path.resolve(BASELINE, 'bin/env-sync.js')));
  else {
    gitFastImport(gitSource, initial, changes.slice(0, COMMITS), true);
    const git = await startGitDaemon();
    const proxy = await countingProxy(git.port);
    const dest = path.join(WORK, 'git-dest');
    execFileSync('git', ['init', '-q', dest], { env: ENV });
    const url = `git://127.0.0.1:${proxy.port}/git-source`;
    sides.push({
      name: 'git',
      proxy,
      dest,
      serverCpu: () => processCpu(git.pid),
      fetch: ['git', 'fetch', '-q', url, '+refs/heads/*:refs/remotes/origin/*'],
    });
  }
  const rssFile = path.join(WORK, 'rss');
  // --profile DIR: write V8 CPU profiles of the env-sync fetch processes there.
  if (process.argv.includes('--profile')) {
    const dir = process.argv[process.argv.indexOf('--profile') + 1];
    sides[0].fetch = [process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, BIN, 'fetch', 'origin'];
  }
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
  // Each fetch runs RUNS times, the sides in turn, each time into a fresh copy of the destination as it was
  // before the fetch; the table gives the medians (bytes are the same every time).
  const measure = async (name) => {
    const fresh = (dest) => {
      const copy = `${dest}-run`;
      rmSync(copy, { recursive: true, force: true });
      cpSync(dest, copy, { recursive: true });
      return copy;
    };
    await run(fresh(sides[0].dest), esFetchWithRss, { ENV_SYNC_BENCH_RSS: rssFile });
    sides[0].proxy.take();
    const rss = Number(readFileSync(rssFile, 'utf8'));
    const times = sides.map(() => []);
    const cpus = sides.map(() => []);
    const bytes = [];
    for (let i = 0; i < RUNS; i++) {
      for (const [s, side] of sides.entries()) {
        const copy = fresh(side.dest);
        const serverBefore = side.serverCpu();
        let clientCpu = 0;
        times[s].push(
          await timed(async () => {
            clientCpu = await run(copy, side.fetch);
          }),
        );
        cpus[s].push(clientCpu + side.serverCpu() - serverBefore);
        bytes[s] = side.proxy.take();
      }
    }
    // The next measurement starts from where this fetch left the destinations.
    for (const side of sides) {
      await run(side.dest, side.fetch);
      side.proxy.take();
    }
    rows.push({ name, times: times.map(median), cpus: cpus.map(median), bytes, rss });
  };
  const shape = `${COMMITS} commits, ${ENVS} env(s) × ${KEYS} keys${ENCRYPTED ? `, age to ${RECIPIENTS}` : ''}`;
  await measure(`full fetch (${shape})`);
  await appendEs(changes.slice(COMMITS));
  if (BASELINE === null) gitFastImport(gitSource, initial, changes.slice(COMMITS), false);
  await measure('incremental fetch (1 changed key)');

  const fmt = (n) => n.toLocaleString('en-US');
  const [a, b] = sides.map((side) => side.name);
  console.log(
    `node ${process.version}, ${BASELINE === null ? `git ${execFileSync('git', ['--version']).toString().trim().split(' ')[2]}` : `baseline ${BASELINE}`}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}, median of ${RUNS} runs`,
  );
  console.log(
    `| fetch | ${a} ms | ${b} ms | time ratio | ${a} CPU ms | ${b} CPU ms | CPU ratio | ${a} bytes (down/up) | ${b} bytes (down/up) | bytes ratio | ${a} peak RSS |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const [total0, total1] = r.bytes.map((x) => x.down + x.up);
    console.log(
      `| ${r.name} | ${r.times[0].toFixed(0)} | ${r.times[1].toFixed(0)} | ${(r.times[0] / r.times[1]).toFixed(2)} | ${r.cpus[0].toFixed(0)} | ${r.cpus[1].toFixed(0)} | ${(r.cpus[0] / r.cpus[1]).toFixed(2)} | ${fmt(total0)} (${fmt(r.bytes[0].down)}/${fmt(r.bytes[0].up)}) | ${fmt(total1)} (${fmt(r.bytes[1].down)}/${fmt(r.bytes[1].up)}) | ${(total0 / total1).toFixed(2)} | ${(r.rss / 1048576).toFixed(1)} MB |`,
    );
  }
  for (const side of sides) {
    if (side.server)
      console.log(`${side.name} server peak RSS: ${((await side.server.stop()) / 1048576) | 0} MB`);
    await side.proxy.close();
  }
}

/**
 * Runs `argv` to completion; resolves with the CPU time (user + system, ms) it used, which bash's `times`
 * reports. Asynchronous on purpose: the counting proxies run in this process's event loop.
 */
function run(cwd, argv, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const script = '"$@"; status=$?; times >&2; exit $status';
    const child = spawn('bash', ['-c', script, 'bash', ...argv], {
      cwd,
      env: { ...ENV, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${argv.join(' ')}: exit ${code}: ${err}`));
      const [, um, us, sm, ss] = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(err) ?? [];
      resolve((Number(um) * 60 + Number(us) + Number(sm) * 60 + Number(ss)) * 1000);
    });
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** CPU time (ms) process `pid` has used, with that of the children it waited for (git daemon's). */
function processCpu(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime, stime, cutime, cstime: fields 14 to 17, in clock ticks of 10 ms.
  return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) * 10;
}

async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Appends commits through the store API (objects synced in one batch, as fetch does), each to the branch of
 * its environment; every environment starts from `initial`.
 */
async function esHistoryWriter(repo, initial) {
  const recipients = Array.from({ length: RECIPIENTS }, () =>
    store.encodeAgeRecipient(randomBytes(32)),
  ).sort();
  const branches = new Map();
  let time = 1_700_000_000;
  const write = async (object) =>
    (await repo.objects.writeRaw(store.encodeObject(object), undefined, { durable: false })).id;
  const snapshot = (entries) => {
    const plain = store.plainSnapshot(entries);
    if (!ENCRYPTED) return plain;
    const keys = [...plain.entries.keys()];
    return { type: 'snapshot', encoding: 'age', keys, recipients, payload: ageShapedBytes(plain.entries) };
  };
  return async (batch) => {
    const written = [];
    const old = new Map();
    for (const change of batch) {
      if (!branches.has(change.env)) branches.set(change.env, { entries: new Map(initial), parent: null });
      const branch = branches.get(change.env);
      if (!old.has(change.env)) old.set(change.env, branch.parent);
      branch.entries.set(change.key, change.value);
      const snapshotId = await write(snapshot(branch.entries));
      const commit = await write({
        type: 'commit',
        snapshot: snapshotId,
        parents: branch.parent === null ? [] : [branch.parent],
        author: 'bench-peer',
        time: time++,
        message: `Change ${change.key}`,
        members: null,
        signature: new Uint8Array(0),
      });
      written.push(snapshotId, commit);
      branch.parent = commit;
    }
    await repo.objects.syncObjects(written);
    for (const [env, expected] of old) {
      await repo.refs.update(`refs/heads/${env}`, branches.get(env).parent, {
        peer: 'bench',
        reason: 'bench history',
        expected,
      });
    }
  };
}

/**
 * Bytes of the size and shape of an age file sealing `entries` to RECIPIENTS readers: the version line, one
 * `-> X25519` stanza per reader (a random share and wrapped key), the MAC line, a nonce and the ciphertext.
 * Random where age's output is random, so it compresses as a real one does.
 */
function ageShapedBytes(entries) {
  const b64 = (n) => randomBytes(n).toString('base64').replace(/=+$/, '');
  let header = 'age-encryption.org/v1\n';
  for (let r = 0; r < RECIPIENTS; r++) header += `-> X25519 ${b64(32)}\n${b64(32)}\n`;
  header += `--- ${b64(32)}\n`;
  const plaintext = store.encodeCanonical([...entries].map(([key, value]) => [key, value]));
  return Buffer.concat([Buffer.from(header, 'latin1'), randomBytes(16 + plaintext.length + 16)]);
}

/** The same history in git: one file per key, one commit per change, written with `git fast-import`. */
function gitFastImport(dir, initial, batch, first) {
  if (first) execFileSync('git', ['init', '-q', '--bare', dir], { env: ENV });
  let stream = '';
  let mark = 1;
  let time = 1_700_000_000 + (first ? 0 : 10_000_000);
  const started = new Set();
  for (const change of batch) {
    const ref = `refs/heads/${change.env}`;
    const files =
      started.has(ref) || !first ? [[change.key, change.value]] : [...initial, [change.key, change.value]];
    stream += `commit ${ref}\nmark :${mark++}\ncommitter Bench <bench@example.test> ${time++} +0000\n`;
    stream += `data ${Buffer.byteLength(change.key) + 7}\nChange ${change.key}\n`;
    if (!started.has(ref) && !first) stream += `from ${ref}^0\n`;
    started.add(ref);
    for (const [name, value] of files)
      stream += `M 100644 inline ${name}\ndata ${Buffer.byteLength(value)}\n${value}\n`;
    stream += '\n';
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: stream, env: ENV });
}

async function startEnvSyncServer(dir, bin, name) {
  const rss = path.join(WORK, `server-rss-${name}`);
  const profile = process.argv.includes('--profile')
    ? ['--cpu-prof', `--cpu-prof-dir=${process.argv[process.argv.indexOf('--profile') + 1]}/server`]
    : [];
  const child = spawn(
    process.execPath,
    [...profile, '--import', path.join(ROOT, 'bench/fetch-rss.mjs'), bin, 'serve', '--listen', '127.0.0.1:0'],
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
    cpu: () => processCpu(child.pid),
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
  return { port, pid: child.pid };
}

async function loadStore() {
  return bundleSources('fetch-store', [
    "export { initRepository } from './src/store/repository.ts';",
    "export { encodeObject, plainSnapshot } from './src/store/objects.ts';",
    "export { encodeCanonical } from './src/store/encoding.ts';",
    "export { encodeAgeRecipient } from './src/crypto/age-recipient.ts';",
  ]);
}
