import t from 'tap';
import { hashObjectBytes, type ObjectId } from '../../src/store/object-id.ts';
import { encodeObject, plainSnapshot } from '../../src/store/objects.ts';
import { resolveRevision } from '../../src/store/revision.ts';
import { BY_TEST, makeStoreRepo, writeCommit } from './store-repo.ts';

t.test('revision syntax resolves refs, remote branches, ancestors and prefixes', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  const side = await writeCommit(repo, [c1], 'side');
  const c2 = await writeCommit(repo, [c1], 'c2');
  const c3 = await writeCommit(repo, [c2, side], 'c3 merge');
  await repo.refs.update('refs/heads/main', c3, BY_TEST);
  await repo.refs.update('refs/remotes/origin/main', c1, BY_TEST);
  const snapshot = (await repo.objects.readTyped(c3, 'commit')).snapshot;

  const expected: Record<string, ObjectId> = {
    HEAD: c3,
    main: c3,
    'refs/heads/main': c3,
    'heads/main': c3,
    'origin/main': c1,
    'remotes/origin/main': c1,
    'refs/remotes/origin/main': c1,
    [c3]: c3,
    [c3.slice(0, 4)]: c3,
    [c3.slice(0, 12)]: c3,
    'main~0': c3,
    'main~': c2,
    'main~1': c2,
    'main~2': c1,
    'HEAD^': c2,
    'HEAD^1': c2,
    'HEAD^2': side,
    'HEAD^^': c1,
    'HEAD^2~1': c1,
    'main~1^': c1,
    [`${c2.slice(0, 6)}^`]: c1,
    [snapshot.slice(0, 8)]: snapshot,
  };
  for (const [revision, id] of Object.entries(expected)) {
    t.equal(await resolveRevision(repo, revision), id, revision);
  }
});

t.test('bad revisions are refused with a message naming them', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  await repo.refs.update('refs/heads/main', c1, BY_TEST);
  const snapshot = (await repo.objects.readTyped(c1, 'commit')).snapshot;
  const absent = [c1, snapshot].some((id) => id.startsWith('0000')) ? 'ffff' : '0000';
  const cases: [string, string, RegExp][] = [
    ['nope', 'E_BAD_REVISION', /^unknown revision 'nope'$/],
    ['main~1', 'E_BAD_REVISION', /^'main~1': commit [0-9a-f]{12} has no parent 1$/],
    ['main^2', 'E_BAD_REVISION', /has no parent 2/],
    [c1.slice(0, 3), 'E_BAD_REVISION', /unknown revision/],
    [absent, 'E_BAD_REVISION', new RegExp(`unknown revision '${absent}'`)],
    ['f'.repeat(64), 'E_OBJECT_MISSING', /^object ffffffffffff is missing$/],
    [`${snapshot}^`, 'E_OBJECT_TYPE', /is a snapshot, expected a commit/],
    ['', 'E_BAD_REVISION', /empty or holds whitespace/],
    ['main x', 'E_BAD_REVISION', /whitespace/],
    ['main\n', 'E_BAD_REVISION', /whitespace/],
    ['../../config', 'E_BAD_REVISION', /unknown revision/],
    ['other', 'E_BAD_REVISION', /unknown revision 'other'/],
  ];
  for (const [revision, code, message] of cases) {
    await t.rejects(resolveRevision(repo, revision), { code, message }, JSON.stringify(revision));
  }
});

t.test('an ambiguous prefix is an error that lists every candidate', async (t) => {
  const repo = await makeStoreRepo(t);
  // Brute-force two snapshots whose ids share 4 hex digits (about 300 tries on average).
  const seen = new Map<string, number>();
  let pair: [number, number] | undefined;
  for (let i = 0; pair === undefined; i++) {
    const prefix = hashObjectBytes(encodeObject(plainSnapshot([['K', String(i)]]))).slice(0, 4);
    const earlier = seen.get(prefix);
    if (earlier !== undefined) pair = [earlier, i];
    else seen.set(prefix, i);
  }
  const ids = await Promise.all(pair.map((i) => repo.objects.write(plainSnapshot([['K', String(i)]]))));
  const prefix = ids[0]!.slice(0, 4);
  t.equal(ids[1]!.slice(0, 4), prefix);
  try {
    await resolveRevision(repo, prefix);
    t.fail('an ambiguous prefix resolved');
  } catch (error) {
    t.match(error, {
      code: 'E_AMBIGUOUS',
      message: new RegExp(`^short id ${prefix} is ambiguous; candidates: `),
    });
    for (const id of ids) t.match((error as Error).message, id.slice(0, 12), 'lists each candidate');
  }
  const longer = ids[0]!.slice(0, 5) === ids[1]!.slice(0, 5) ? ids[0]! : ids[0]!.slice(0, 5);
  t.equal(await resolveRevision(repo, longer), ids[0], 'a longer prefix disambiguates');
});
