// Concurrent writers (test/reliability/writers.ts): --writers processes (default 2, then 4) each running --sets
// `set`s (default 500) of keys of their own on one repository at once; prints failures, lost updates, fsck and
// the time taken. Run: `node scripts/build.mjs && node --import=tsx bench/writers.ts [--sets N]`.

import { cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// A private copy of the built CLI, so a rebuild of dist/ during the run cannot break or skew it.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bench/.work/writers/cli');
rmSync(CLI, { recursive: true, force: true });
mkdirSync(CLI, { recursive: true });
for (const dir of ['bin', 'dist']) cpSync(path.join(ROOT, dir), path.join(CLI, dir), { recursive: true });
process.env.ENV_SYNC_TEST_BIN = path.join(CLI, 'bin/env-sync.js');
const { runWriters } = await import('../test/reliability/writers.ts');

const at = process.argv.indexOf('--sets');
const sets = at < 0 ? 500 : Number(process.argv[at + 1]);
console.log('| writers | sets each | failed sets | lost updates | fsck | seconds |');
console.log('|---:|---:|---:|---:|---|---:|');
let problems = 0;
for (const writers of [2, 4]) {
  const report = await runWriters(writers, sets);
  problems += report.failures.length + report.lost.length + (report.fsck === 'ok' ? 0 : 1);
  console.log(
    `| ${writers} | ${sets} | ${report.failures.length} | ${report.lost.length} | ${report.fsck === 'ok' ? 'ok' : 'errors'} | ${report.seconds.toFixed(0)} |`,
  );
  for (const line of [...report.failures, ...report.lost].slice(0, 10)) console.log(`- ${line}`);
}
process.exitCode = problems === 0 ? 0 : 1;
