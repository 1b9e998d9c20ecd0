// Secrets workflow benchmark: cold `env-sync get KEY` and `env-sync run -- true` on a 200-key environment,
// side by side in one run with `node -e 0` and dotenvx (`dotenvx get KEY` / `dotenvx run -- true` on the
// equivalent .env), then `env-sync import` of a 10,000-key file. Figures go in docs/performance.md.
//
// Run: `node scripts/build.mjs && npm install --prefix bench && node bench/secrets.mjs [--runs N] [--instructions]`.
// Commands are run round-robin (one of each per round), so load from other processes hits them alike.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench/.work/secrets');
const BIN = path.join(WORK, 'cli/bin/env-sync.js');
const DOTENVX = path.join(ROOT, 'bench/node_modules/@dotenvx/dotenvx/src/cli/dotenvx.js');
const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1] || 15) || 15;
const node = process.execPath;

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
// A private copy of the built CLI, so a rebuild of dist/ during the run cannot break or skew it.
cpSync(path.join(ROOT, 'bin'), path.join(WORK, 'cli/bin'), { recursive: true });
cpSync(path.join(ROOT, 'dist'), path.join(WORK, 'cli/dist'), { recursive: true });
const env = { PATH: process.env.PATH, HOME: path.join(WORK, 'home'), ENV_SYNC_HOME: path.join(WORK, 'home') };

function must(args, options) {
  const result = spawnSync(args[0], args.slice(1), { env, encoding: 'utf8', ...options });
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return result;
}

function timed(args, cwd) {
  const start = process.hrtime.bigint();
  const result = spawnSync(args[0], args.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// A 200-key environment, as a .env file (for dotenvx) and in two repositories: plaintext at rest
// (trusted-owner-ssh) and age-encrypted (secure-peer, the default).
const keys = Array.from({ length: 200 }, (_, i) => `KEY_${String(i).padStart(3, '0')}`);
const dotenvText = keys.map((key, i) => `${key}=value-${i}-${'x'.repeat(40)}\n`).join('');
const repos = {};
for (const mode of ['trusted-owner-ssh', 'secure-peer']) {
  const dir = path.join(WORK, mode);
  mkdirSync(dir);
  writeFileSync(path.join(dir, '.env'), dotenvText);
  must([node, BIN, 'init', '--mode', mode], { cwd: dir });
  must([node, BIN, 'import'], { cwd: dir });
  repos[mode] = dir;
}
const plain = repos['trusted-owner-ssh'];
const KEY = 'KEY_123';

const haveDotenvx = spawnSync(node, [DOTENVX, '--version'], { env }).status === 0;
const haveAge = spawnSync('age', ['--version']).status === 0;

// The peers to compare with: `age -d` of the very payload `get` decrypts, and dotenvx on an encrypted copy of the .env.
const secure = repos['secure-peer'];
const payload = path.join(WORK, 'snapshot.age');
writeFileSync(
  payload,
  must([node, BIN, 'cat-file', '--age', 'HEAD'], { cwd: secure, encoding: 'buffer' }).stdout,
);
const ageIdentityFile = JSON.parse(
  must([node, BIN, 'identity', 'show', '--json'], { cwd: secure }).stdout,
).ageIdentityFile;
const encryptedDotenv = path.join(WORK, 'dotenvx-encrypted');
if (haveDotenvx) {
  mkdirSync(encryptedDotenv);
  writeFileSync(path.join(encryptedDotenv, '.env'), dotenvText);
  must([node, DOTENVX, 'encrypt'], { cwd: encryptedDotenv });
}
const cases = [
  ['node -e 0', [node, '-e', '0'], plain],
  // The command as installed: bin/env-sync.js started through its #! line (env, which execs node on it).
  ['env-sync get KEY (plaintext)', [BIN, 'get', KEY], plain],
  ['env-sync get KEY (age, secure-peer)', [BIN, 'get', KEY], repos['secure-peer']],
  ['env-sync run -- true (plaintext)', [BIN, 'run', '--', 'true'], plain],
  ['env-sync run -- true (age, secure-peer)', [BIN, 'run', '--', 'true'], repos['secure-peer']],
  ...(haveDotenvx
    ? [
        ['dotenvx get KEY', [node, DOTENVX, 'get', KEY], plain],
        ['dotenvx run -- true', [node, DOTENVX, 'run', '--quiet', '--', 'true'], plain],
        ['dotenvx get KEY (encrypted .env)', [node, DOTENVX, 'get', KEY], encryptedDotenv],
      ]
    : []),
  ...(haveAge
    ? [
        [
          'age -d (the same snapshot payload)',
          ['age', '-d', '-i', ageIdentityFile, '-o', '/dev/null', payload],
          plain,
        ],
      ]
    : []),
];
if (!haveAge) console.log('the age CLI is not installed: the age -d comparison is left out\n');
if (!haveDotenvx)
  console.log('dotenvx is not installed: run `npm install --prefix bench` to compare with it\n');

for (const [, args, cwd] of cases) timed(args, cwd); // warm the file cache, not the processes
const samples = cases.map(() => []);
for (let round = 0; round < RUNS; round++) {
  for (const [i, [, args, cwd]] of cases.entries()) samples[i].push(timed(args, cwd));
}
const baseline = median(samples[0]);
const dotenvxAt = cases.findIndex(([name]) => name === 'dotenvx get KEY');
const dotenvxEncryptedAt = cases.findIndex(([name]) => name === 'dotenvx get KEY (encrypted .env)');
console.log(
  `Cold start, 200-key environment, median of ${RUNS} runs (${os.cpus().length} CPUs, node ${process.version})`,
);
console.log(
  'command'.padEnd(42),
  'median ms'.padStart(10),
  '× node -e 0'.padStart(12),
  '× dotenvx get'.padStart(14),
  '× dotenvx get (enc)'.padStart(20),
);
cases.forEach(([name], i) => {
  const m = median(samples[i]);
  const vs = (at) => (at < 0 ? '' : (m / median(samples[at])).toFixed(2));
  console.log(
    name.padEnd(42),
    m.toFixed(1).padStart(10),
    (m / baseline).toFixed(2).padStart(12),
    vs(dotenvxAt).padStart(14),
    vs(dotenvxEncryptedAt).padStart(20),
  );
});

// With --instructions: the node and env-sync commands once each under valgrind's callgrind, which counts
// instructions instead of timing them: the same count whatever else the machine is doing. `run` ends in an
// execve of its command, after which callgrind would report nothing: --dump-before=execve writes what was
// counted before each execve (one per PATH entry tried) to a file of its own, and the parts are summed; the
// command itself (/bin/true) is not counted, as children are not traced.
if (process.argv.includes('--instructions')) {
  const instructions = (args, cwd) => {
    const out = mkdtempSync(path.join(WORK, 'callgrind-'));
    const result = spawnSync(
      'valgrind',
      ['--tool=callgrind', '--dump-before=execve', `--callgrind-out-file=${out}/part.%p`, ...args],
      { env, cwd, encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`valgrind ${args.join(' ')} failed: ${result.stderr}`);
    let total = 0;
    for (const file of readdirSync(out)) {
      for (const [, count] of readFileSync(path.join(out, file), 'utf8').matchAll(/^summary: (\d+)$/gm))
        total += Number(count);
    }
    return total;
  };
  // Node's own instructions: the command as `node bin/env-sync.js …` (callgrind would count only env).
  const counted = cases
    .filter(([name]) => name.startsWith('node') || name.startsWith('env-sync'))
    .map(([name, args, cwd]) => [name, args[0] === BIN ? [node, ...args] : args, cwd]);
  const counts = counted.map(([, args, cwd]) => instructions(args, cwd));
  console.log('\ninstructions (valgrind --tool=callgrind), one run each, as `node bin/env-sync.js …`');
  counted.forEach(([name], i) => {
    const millions = (counts[i] / 1e6).toFixed(1);
    console.log(
      name.padEnd(42),
      `${millions}M`.padStart(10),
      (counts[i] / counts[0]).toFixed(2).padStart(12),
    );
  });
}

// Import of a 10,000-key file into an empty environment, median of 3 fresh repositories per mode.
const big = Array.from({ length: 10_000 }, (_, i) => `BIG_${i}="value ${i} with # and 'quotes'"\n`).join('');
console.log('\nimport of a 10,000-key .env file (new environment), median of 3');
for (const mode of ['trusted-owner-ssh', 'secure-peer']) {
  const times = [];
  for (let i = 0; i < 3; i++) {
    const dir = path.join(WORK, `import-${mode}-${i}`);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'big.env'), big);
    must([node, BIN, 'init', '--mode', mode], { cwd: dir });
    times.push(timed([BIN, 'import', 'big.env'], dir));
  }
  console.log(`env-sync import big.env (${mode})`.padEnd(42), median(times).toFixed(1).padStart(10), 'ms');
}
rmSync(WORK, { recursive: true, force: true });
