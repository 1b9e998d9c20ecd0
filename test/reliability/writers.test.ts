// Writers on one repository serialize: every `set` of two and four concurrent writers commits (none fails on
// a held lock or a lost compare-and-swap), no update is lost, fsck is clean. bench/writers.ts runs 500 each.

import t from 'tap';
import { runWriters } from './writers.ts';

const TIMEOUT_MS = 600_000;
t.setTimeout(TIMEOUT_MS);

for (const [writers, sets] of [
  [2, 20],
  [4, 10],
] as const) {
  t.test(
    `${writers} concurrent writers, ${sets} sets each: all commit, none lost`,
    { timeout: TIMEOUT_MS },
    async (t) => {
      const report = await runWriters(writers, sets);
      t.same(report.failures, [], 'every set commits');
      t.same(report.lost, [], "every writer's last value is there");
      t.equal(report.fsck, 'ok');
    },
  );
}
