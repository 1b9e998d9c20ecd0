// A short run of the kill -9 harness (bench/kill.ts runs the full one): set, import, update-ref, peer approve and
// revoke, fetch, merge, push and clone SIGKILLed at random points, each followed by fsck, a check of every
// committed value and the next command.

import t from 'tap';
import { runKillTrials } from './kill-harness.ts';

// Each trial runs four to six processes; on a loaded two-core machine the file takes minutes (the file's
// timeout and the test's are both raised).
const TIMEOUT_MS = 600_000;
t.setTimeout(TIMEOUT_MS);

t.test(
  'killed at random points, no command corrupts a repository, loses a value or needs a repair',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const report = await runKillTrials({ trials: 24, seed: Number(process.env.ENV_SYNC_KILL_SEED ?? 7) });
    t.same(report.corrupt, [], 'fsck passes after every trial');
    t.same(report.lost, [], 'every committed value reads back');
    t.same(report.repairs, [], 'the next command always works');
    t.ok(
      report.kills >= report.trials / 4,
      `commands were really killed (${report.kills} of ${report.trials})`,
    );
  },
);
