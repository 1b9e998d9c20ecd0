import t from 'tap';
import { makeRepo } from './helpers.ts';

t.test('environments are isolated, created empty or from another, listed and deleted', async (t) => {
  const repo = await makeRepo(t);
  t.equal((await repo.ok(t, ['env', 'list'])).stdout, '', 'an unborn main is not listed');
  await repo.ok(t, ['set', 'SHARED=main-value', 'ONLY_MAIN=1']);
  const empty = await repo.ok(t, ['env', 'create', 'prod']);
  t.match(empty.stdout, /^Created environment prod at [0-9a-f]{12}$/m);
  const copy = await repo.ok(t, ['env', 'create', 'staging', '--from', 'main']);
  t.match(copy.stdout, /Created environment staging from main/);
  await repo.ok(t, ['set', '--env', 'staging', 'SHARED=staging-value']);
  await repo.ok(t, ['set', '--env', 'prod', 'ONLY_PROD=1']);

  const [main, staging, prod] = await Promise.all(
    ['main', 'staging', 'prod'].map((env) => repo.cli(['list', '--json', '--show-values', '--env', env])),
  );
  t.same(JSON.parse(main!.stdout), { ONLY_MAIN: '1', SHARED: 'main-value' });
  t.same(JSON.parse(staging!.stdout), { ONLY_MAIN: '1', SHARED: 'staging-value' });
  t.same(JSON.parse(prod!.stdout), { ONLY_PROD: '1' });
  t.equal((await repo.cli(['get', '--env', 'prod', 'SHARED'])).code, 1);
  const history = JSON.parse((await repo.ok(t, ['history', '--env', 'staging', '--json'])).stdout);
  t.same(
    history.map((entry: { message: string }) => entry.message),
    ['Change SHARED', 'Add ONLY_MAIN, SHARED'],
    'a copy shares the history of its source',
  );

  t.equal((await repo.ok(t, ['env', 'list'])).stdout, '* main\n  prod\n  staging\n');
  const json = JSON.parse((await repo.ok(t, ['env', 'list', '--json'])).stdout);
  t.same(
    json.map((e: { name: string }) => e.name),
    ['main', 'prod', 'staging'],
  );

  const exists = await repo.cli(['env', 'create', 'prod']);
  t.equal(exists.code, 1);
  t.match(exists.stderr, /environment 'prod' already exists/);
  const typo = await repo.cli(['set', '--env', 'stagng', 'A=1']);
  t.equal(typo.code, 1, 'a missing environment is not created by accident');
  t.match(typo.stderr, /environment 'stagng' does not exist/);
  t.equal((await repo.cli(['get', '--env', 'nope', 'A'])).code, 1);
  t.equal((await repo.cli(['env', 'create', 'bad/name'])).code, 1);
  t.equal((await repo.cli(['env', 'create', 'x', '--from', 'nope'])).code, 1);

  const deleted = await repo.ok(t, ['env', 'delete', 'prod']);
  t.match(deleted.stdout, /^Deleted environment prod \(was [0-9a-f]{12}\)$/m);
  t.equal((await repo.ok(t, ['env', 'list'])).stdout, '* main\n  staging\n');
  const head = await repo.cli(['env', 'delete', 'main']);
  t.equal(head.code, 2);
  t.match(head.stderr, /HEAD and cannot be deleted/);
  t.equal((await repo.cli(['env', 'delete', 'prod'])).code, 1, 'deleting twice is an error');
});

t.test('history lists commits newest first with the keys changed; KEY filters; never values', async (t) => {
  const repo = await makeRepo(t);
  t.equal((await repo.ok(t, ['history'])).stdout, '', 'no commits yet');
  await repo.ok(t, ['set', 'A=1', 'B=1']);
  await repo.ok(t, ['set', 'A=2']);
  await repo.ok(t, ['unset', 'B']);
  const all = JSON.parse((await repo.ok(t, ['history', '--json'])).stdout);
  t.same(
    all.map((e: { message: string; added: string[]; changed: string[]; removed: string[] }) => [
      e.message,
      e.added,
      e.changed,
      e.removed,
    ]),
    [
      ['Remove B', [], [], ['B']],
      ['Change A', [], ['A'], []],
      ['Add A, B', ['A', 'B'], [], []],
    ],
  );
  t.match(all[0], { id: /^[0-9a-f]{64}$/, author: /\S/, time: Number, date: /^\d{4}-\d\d-\d\dT/ });
  const onlyB = JSON.parse((await repo.ok(t, ['history', 'B', '--json'])).stdout);
  t.same(
    onlyB.map((e: { message: string }) => e.message),
    ['Remove B', 'Add A, B'],
  );
  const text = (await repo.ok(t, ['history', '-n', '1'])).stdout;
  t.match(text, /^commit [0-9a-f]{64}\nAuthor: .+\nDate: +\d{4}-.+\n\n {4}Remove B\n\n {4}removed: B\n$/);
  t.equal((await repo.cli(['history', '-n', '0'])).code, 2);
});
