// The full kill -9 harness (test/reliability/kill-harness.ts): --trials commands (default 1,000) among set,
// import, update-ref, peer approve and revoke, fetch, merge, push and clone, each SIGKILLed after a random
// delay, each followed by fsck, a check of every committed value and the next command. Prints the counts that
// docs/reliability.md records, and every problem found.
//
// Run: `node scripts/build.mjs && node --import=tsx bench/kill.ts [--trials N] [--seed N] [--max-delay MS]`.

import { cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// A private copy of the built CLI, so a rebuild of dist/ during the run cannot break or skew it.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, `bench/.work/kill-${process.pid}/cli`);
rmSync(CLI, { recursive: true, force: true });
mkdirSync(CLI, { recursive: true });
for (const dir of ['bin', 'dist']) cpSync(path.join(ROOT, dir), path.join(CLI, dir), { recursive: true });
process.env.ENV_SYNC_TEST_BIN = path.join(CLI, 'bin/env-sync.js');
const { KINDS, runKillTrials } = await import('../test/reliability/kill-harness.ts');

const argValue = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const trials = argValue('--trials', 1000);
const seed = argValue('--seed', 1);
const maxDelayMs = argValue('--max-delay', 400);
const started = Date.now();
const report = await runKillTrials({
  trials,
  seed,
  maxDelayMs,
  onTrial: (index, _kind, _killed, sofar) => {
    if ((index + 1) % 50 === 0)
      process.stderr.write(
        `${index + 1} trials, ${sofar.kills} killed, ${sofar.corrupt.length} corrupt, ${sofar.lost.length} lost, ${sofar.repairs.length} repairs, ${Math.round((Date.now() - started) / 1000)} s\n`,
      );
  },
});
console.log(`seed ${seed}, kills after 0–${maxDelayMs} ms, ${Math.round((Date.now() - started) / 1000)} s`);
console.log('| command | trials | killed |');
console.log('|---|---:|---:|');
for (const kind of KINDS)
  console.log(`| ${kind} | ${report.byKind[kind].trials} | ${report.byKind[kind].kills} |`);
console.log(`| all | ${report.trials} | ${report.kills} |`);
console.log(
  `corrupt repositories: ${report.corrupt.length}, lost values: ${report.lost.length}, manual repairs needed: ${report.repairs.length}`,
);
for (const problem of [...report.corrupt, ...report.lost, ...report.repairs]) console.log(`- ${problem}`);
process.exitCode = report.corrupt.length + report.lost.length + report.repairs.length === 0 ? 0 : 1;
