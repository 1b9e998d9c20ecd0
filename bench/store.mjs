// Store benchmark: write then read back 10,000 small objects through the store API, side by side with
// `git hash-object -w --stdin-paths` and `git cat-file --batch` on the same payloads; then `env-sync --version`
// cold start against `node -e 0`. Figures and the exact command are recorded in docs/performance.md#store.
//
// Run: `node scripts/build.mjs && node bench/store.mjs [--objects N] [--runs N]`. The store is bundled from
// src/ with esbuild into bench/.work/ (the same bundling the CLI gets), so no TypeScript loader is timed.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-src.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench/.work/store');
const argValue = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const COUNT = argValue('--objects', 10_000);
const RUNS = argValue('--runs', 20);

const store = await loadStore();
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });

// The payloads: small plain snapshots (a handful of keys, ~100 bytes each), distinct by construction.
const objects = Array.from({ length: COUNT }, (_, i) =>
  store.plainSnapshot([
    ['API_KEY', `key-${i}-${(i * 2654435761) % 1e9}`],
    ['DATABASE_URL', `postgres://user:pw@db-${i % 97}.internal:5432/app`],
    ['DEBUG', i % 2 === 0 ? 'true' : 'false'],
  ]),
);
const payloads = objects.map((object) => store.encodeObject(object));
const payloadBytes = payloads.reduce((sum, bytes) => sum + bytes.length, 0);

const results = [];
results.push(await benchEnvSync('env-sync ObjectDatabase.write (fsync per object, the default)', {}));
results.push(
  await benchEnvSync('env-sync ObjectDatabase.write batch (durable: false, then syncObjects once)', {
    durable: false,
  }),
);
const git = benchGit();

const line = (label, ms) => `  ${label.padEnd(78)} ${ms.toFixed(0).padStart(7)} ms`;
console.log(
  `store: ${COUNT} objects, ${payloadBytes} payload bytes (mean ${Math.round(payloadBytes / COUNT)} B)`,
);
console.log(
  `  node ${process.version}, ${git.version}, ${process.platform}/${process.arch}, ` +
    `${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}`,
);
console.log(line('git hash-object -w --stdin-paths (whole process)', git.write));
console.log(line('git cat-file --batch (whole process)', git.read));
for (const result of results) {
  console.log(line(`${result.label}: write`, result.write));
  if (result.sync > 0)
    console.log(line('    of which syncObjects (one fsync per file, 8 at a time)', result.sync));
  console.log(line(`${result.label}: read (verify + decode)`, result.read));
  console.log(
    `    ratio env-sync/git: write ${(result.write / git.write).toFixed(2)}, read ${(result.read / git.read).toFixed(2)}, ` +
      `write+read ${((result.write + result.read) / (git.write + git.read)).toFixed(2)} (goal <= 1.0)`,
  );
}

const node = median(RUNS, () => spawnTime(process.execPath, ['-e', '0']));
const cli = median(RUNS, () =>
  spawnTime(process.execPath, [path.join(ROOT, 'bin/env-sync.js'), '--version']),
);
console.log(`cold start (median of ${RUNS} spawns):`);
console.log(line('node -e 0', await node));
console.log(line('env-sync --version', await cli));
console.log(`    ratio env-sync/node: ${((await cli) / (await node)).toFixed(2)} (goal <= 1.5)`);

async function benchEnvSync(label, options) {
  const dir = path.join(WORK, `env-sync-${results.length}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new store.ObjectDatabase(path.join(dir, 'objects'));
  mkdirSync(path.join(dir, 'objects'), { mode: 0o700 });
  const ids = [];
  let start = performance.now();
  let sync = 0;
  if (options.durable === false) {
    for (const object of objects) ids.push(await db.write(object, { durable: false }));
    const synced = performance.now();
    await db.syncObjects(ids);
    sync = performance.now() - synced;
  } else {
    for (const object of objects) ids.push(await db.write(object));
  }
  const write = performance.now() - start;
  start = performance.now();
  for (const id of ids) await db.read(id);
  const read = performance.now() - start;
  return { label, write, sync, read };
}

function benchGit() {
  const repo = path.join(WORK, 'git');
  const payloadDir = path.join(WORK, 'payloads');
  mkdirSync(payloadDir, { recursive: true });
  execFileSync('git', ['init', '-q', repo]);
  const paths = payloads.map((bytes, i) => {
    const file = path.join(payloadDir, String(i));
    writeFileSync(file, bytes);
    return file;
  });
  const version = execFileSync('git', ['--version'], { encoding: 'utf8' }).trim();
  let start = performance.now();
  const written = spawnSync('git', ['-C', repo, 'hash-object', '-w', '--stdin-paths'], {
    input: `${paths.join('\n')}\n`,
    maxBuffer: 1 << 26,
  });
  const write = performance.now() - start;
  if (written.status !== 0) throw new Error(`git hash-object failed: ${written.stderr}`);
  start = performance.now();
  const read = spawnSync('git', ['-C', repo, 'cat-file', '--batch'], {
    input: written.stdout,
    maxBuffer: 1 << 28,
  });
  const readMs = performance.now() - start;
  if (read.status !== 0) throw new Error(`git cat-file failed: ${read.stderr}`);
  return { write, read: readMs, version };
}

function spawnTime(command, args) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - start));
  });
}

async function median(runs, measure) {
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await measure());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function loadStore() {
  return bundleSources('store-bundle', [
    "export { ObjectDatabase } from './src/store/object-database.ts';",
    "export { encodeObject, plainSnapshot } from './src/store/objects.ts';",
  ]);
}
