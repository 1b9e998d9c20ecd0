// Property: the commits a receive checks are every commit reachable from the received tips and not from a local
// ref, whatever the history's shape, its merges and its dates. With dates that never go back from parent to
// child the walk returns exactly those; with skewed dates it may add held commits (checked once more), never
// leave out a new one.

import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { newCommits } from '../../src/membership/new-commits.ts';
import type { ObjectId } from '../../src/store/object-id.ts';
import { plainSnapshot } from '../../src/store/objects.ts';
import { initRepository, type Repository } from '../../src/store/repository.ts';
import { BY_TEST } from '../store/store-repo.ts';

interface History {
  /** Per commit: the indices of its parents (all lower) and its date offset. */
  readonly commits: readonly { readonly parents: readonly number[]; readonly date: number }[];
  readonly local: readonly number[];
  readonly received: readonly number[];
}

const history = (skewed: boolean): fc.Arbitrary<History> =>
  fc.integer({ min: 1, max: 24 }).chain((size) =>
    fc.record({
      commits: fc.tuple(
        ...Array.from({ length: size }, (_, i) =>
          fc.record({
            // The first commit is a root; later ones have one to three parents, or (rarely) none.
            parents: i === 0 ? fc.constant([]) : fc.uniqueArray(fc.nat({ max: i - 1 }), { maxLength: 3 }),
            // Skewed: any order, often equal (a few values), sometimes far apart.
            date: skewed ? fc.oneof(fc.nat({ max: 3 }), fc.nat({ max: 1_000 })) : fc.nat({ max: 5 }),
          }),
        ),
      ),
      local: fc.uniqueArray(fc.nat({ max: size - 1 }), { maxLength: 8 }),
      // Received tips may also be local tips, or their ancestors, as a fetch's often are.
      received: fc.uniqueArray(fc.nat({ max: size - 1 }), { minLength: 1, maxLength: 4 }),
    }),
  );

const scratch = t.testdir();

/** A repository with one snapshot, and a writer of commits on it (unsigned: plaintext mode). */
async function repository(dir: string) {
  const repo = await initRepository(dir, { mode: 'dev-plaintext-http' });
  const snapshot = await repo.objects.write(plainSnapshot([['KEY', 'value']]));
  const commit = (parents: readonly ObjectId[], time: number, message: string) =>
    repo.objects.write({
      type: 'commit',
      snapshot,
      parents,
      author: 'peer-test',
      time,
      message,
      members: null,
      signature: new Uint8Array(0),
    });
  return { repo, commit };
}

/** Writes the history; with ordered dates a commit is dated its parents' latest plus its offset. */
async function written(shape: History, skewed: boolean): Promise<{ repo: Repository; ids: ObjectId[] }> {
  const { repo, commit } = await repository(mkdtempSync(path.join(scratch, 'repo-')));
  const ids: ObjectId[] = [];
  const dates: number[] = [];
  for (const [i, { parents, date }] of shape.commits.entries()) {
    const time = 1_700_000_000 + (skewed ? date : Math.max(0, ...parents.map((p) => dates[p]!)) + date);
    dates.push(time - 1_700_000_000);
    ids.push(
      await commit(
        parents.map((p) => ids[p]!),
        time,
        `c${i}`,
      ),
    );
  }
  for (const [n, i] of shape.local.entries()) await repo.refs.update(`refs/heads/b${n}`, ids[i]!, BY_TEST);
  return { repo, ids };
}

function reachable(shape: History, from: readonly number[]): Set<number> {
  const seen = new Set<number>();
  const stack = [...from];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen.has(i)) continue;
    seen.add(i);
    stack.push(...shape.commits[i]!.parents);
  }
  return seen;
}

for (const skewed of [false, true]) {
  t.test(`new commits, ${skewed ? 'dates in any order' : 'dates never going back'}`, async (t) => {
    await fc.assert(
      fc.asyncProperty(history(skewed), async (shape) => {
        const { repo, ids } = await written(shape, skewed);
        const found = await newCommits(
          repo,
          shape.received.map((i) => ids[i]!),
        );
        const index = new Map(ids.map((id, i) => [id, i]));
        const got = found.map(({ id }) => index.get(id)!);
        const fromLocal = reachable(shape, shape.local);
        const fromReceived = reachable(shape, shape.received);
        const expected = [...fromReceived].filter((i) => !fromLocal.has(i)).sort((a, b) => a - b);
        const sorted = [...got].sort((a, b) => a - b);
        t.equal(new Set(got).size, got.length, 'each commit once');
        for (const { id, commit } of found) t.equal(commit.message, `c${index.get(id)}`, 'with its object');
        t.ok(
          expected.every((i) => got.includes(i)),
          'every new commit',
        );
        t.ok(
          got.every((i) => fromReceived.has(i)),
          'only commits of the received history',
        );
        if (!skewed) t.same(sorted, expected, 'and nothing else');
      }),
      { numRuns: 300 },
    );
  });
}

t.test('a long held history is not read to find the few new commits on it', async (t) => {
  const { repo, commit } = await repository(t.testdir());
  let tip: ObjectId | null = null;
  const commits: ObjectId[] = [];
  for (let i = 0; i < 400; i++) {
    tip = await commit(tip === null ? [] : [tip], 1_700_000_000 + i, `c${i}`);
    commits.push(tip);
  }
  await repo.refs.update('refs/heads/main', commits[396]!, BY_TEST);
  const reads: ObjectId[] = [];
  const readTyped = repo.objects.readTyped.bind(repo.objects);
  repo.objects.readTyped = (async (id: ObjectId, type: 'commit') => {
    reads.push(id);
    return readTyped(id, type);
  }) as typeof repo.objects.readTyped;
  const found = await newCommits(repo, [tip!]);
  t.same(
    found.map(({ id }) => id),
    [commits[399], commits[398], commits[397]],
    'the three new ones, newest first',
  );
  t.ok(reads.length <= 6, `read ${reads.length} commits of 400`);
});
