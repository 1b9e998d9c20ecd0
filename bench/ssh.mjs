// SSH benchmark: clone and incremental fetch of one history over a real sshd on loopback, env-sync with its
// built-in client (ssh2) and with ENV_SYNC_SSH_COMMAND=ssh, against `git clone`/`git fetch` of the same history
// in git (one file per key, one commit per change) over the same sshd and the same ssh command. One run each;
// prints times and ratios to git. Needs OpenSSH's sshd, ssh and ssh-keygen (as root: /run/sshd is created).
//
// Run: `node scripts/build.mjs && node bench/ssh.mjs [--commits N] [--keys N]` (defaults 1,000 and 200).
// Figures: docs/performance.md#sync.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-src.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/env-sync.js');
const argValue = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const COMMITS = argValue('--commits', 1000);
const KEYS = argValue('--keys', 200);

const { startSshd, buildHistory, initRepository } = await bundleSources('ssh-bench', [
  "export { startSshd } from './test/helpers/sshd.ts';",
  "export { buildHistory } from './test/sync/helpers.ts';",
  "export { initRepository } from './src/store/repository.ts';",
]);

// startSshd takes a tap test for its teardowns; the bench runs them at the end.
const teardowns = [];
const harness = {
  teardown: (fn) => teardowns.push(fn),
  fail: (message) => console.error(message),
  comment() {},
};
const work = mkdtempSync(path.join(os.tmpdir(), 'env-sync-bench-ssh-'));
try {
  await main();
} finally {
  for (const fn of teardowns.reverse()) await fn();
  rmSync(work, { recursive: true, force: true });
}

async function main() {
  const sshd = await startSshd(harness);
  const home = path.join(work, 'home');
  const files = await sshd.installClient(home);
  const env = { PATH: process.env.PATH, HOME: home, ENV_SYNC_HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
  const systemSsh = [
    'ssh',
    `-F ${path.join(files.sshDir, 'config')}`,
    `-o UserKnownHostsFile=${path.join(files.sshDir, 'known_hosts')}`,
    `-o IdentityFile=${files.keyFile}`,
    '-o IdentitiesOnly=yes -o BatchMode=yes',
  ].join(' ');
  await run(work, [process.execPath, BIN, 'identity', 'init'], env);

  const esSource = path.join(sshd.remoteHome, 'project');
  await initRepository(esSource, { mode: 'trusted-owner-ssh' });
  await buildHistory(esSource, KEYS, COMMITS);
  const gitSource = path.join(sshd.remoteHome, 'project.git');
  gitHistory(gitSource, env);

  const base = `ssh://127.0.0.1:${sshd.port}`;
  const sides = [
    { name: 'env-sync (ssh2)', env, url: `${base}${esSource}` },
    {
      name: 'env-sync (ENV_SYNC_SSH_COMMAND=ssh)',
      env: { ...env, ENV_SYNC_SSH_COMMAND: systemSsh },
      url: `${base}${esSource}`,
    },
    {
      name: 'git (GIT_SSH_COMMAND=ssh)',
      env: { ...env, GIT_SSH_COMMAND: systemSsh },
      url: `${base}${gitSource}`,
      git: true,
    },
  ];
  for (const [i, side] of sides.entries()) {
    side.dest = path.join(work, `dest-${i}`);
    side.clone = await timed(() =>
      run(
        work,
        side.git
          ? ['git', 'clone', '-q', '--bare', side.url, side.dest]
          : [process.execPath, BIN, 'clone', '--remote-program', sshd.program, side.url, side.dest],
        side.env,
      ),
    );
  }
  // One more commit on each side, changing one key.
  await run(esSource, [process.execPath, BIN, 'set', 'KEY_0000'], env, 'changed-value');
  gitCommit(gitSource, env);
  for (const side of sides) {
    side.fetch = await timed(() =>
      run(
        side.dest,
        side.git
          ? ['git', 'fetch', '-q', 'origin', '+refs/heads/*:refs/heads/*']
          : [process.execPath, BIN, 'fetch'],
        side.env,
      ),
    );
  }

  const git = sides[2];
  console.log(
    `node ${process.version}, ${execFileSync('git', ['--version']).toString().trim()}, ${spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim()}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}, one run; ${COMMITS} commits × ${KEYS} keys`,
  );
  console.log(
    '| over sshd on loopback | clone ms | clone ratio to git | incremental fetch ms | fetch ratio to git |',
  );
  console.log('|---|---:|---:|---:|---:|');
  for (const side of sides) {
    console.log(
      `| ${side.name} | ${side.clone.toFixed(0)} | ${(side.clone / git.clone).toFixed(2)} | ${side.fetch.toFixed(0)} | ${(side.fetch / git.fetch).toFixed(2)} |`,
    );
  }
}

/** The history buildHistory writes, in git: KEYS files, then commit c sets KEY_k, k = 7c mod KEYS, to value-k-(c+1). */
function gitHistory(dir, env) {
  execFileSync('git', ['init', '-q', '--bare', dir], { env });
  const name = (k) => `KEY_${String(k).padStart(4, '0')}`;
  const blob = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  let stream = '';
  for (let c = 0; c < COMMITS; c++) {
    const k = (c * 7) % KEYS;
    stream += `commit refs/heads/main\ncommitter Bench <bench@example.test> ${1_700_000_000 + c} +0000\n${blob(`change ${k}`)}`;
    const files = c === 0 ? Array.from({ length: KEYS }, (_, i) => i) : [k];
    for (const f of files)
      stream += `M 100644 inline ${name(f)}\n${blob(`value-${f}-${f === k ? c + 1 : 0}`)}`;
    stream += '\n';
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: stream, env });
}

function gitCommit(dir, env) {
  const stream = `commit refs/heads/main\ncommitter Bench <bench@example.test> 1800000000 +0000\ndata 9\nchange 0\nfrom refs/heads/main^0\nM 100644 inline KEY_0000\ndata 13\nchanged-value\n\n`;
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: stream, env });
}

function run(cwd, argv, env, input = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')}: exit ${code}: ${err}`)),
    );
    child.stdin.end(input);
  });
}

async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}
