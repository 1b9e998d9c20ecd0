// Every mistake can be undone with a command: revert one commit, restore keys from any revision, and read
// or compare any revision (`main~1`, `origin/main`, ids, `main@{1}`) with --rev and diff.

import { mkdirSync } from 'node:fs';
import t from 'tap';
import { freshDir, runCli } from '../helpers/cli.ts';
import { type Person, person } from './people.ts';

t.test('a wrong value pulled from a teammate is found, compared and undone by commands', async (t) => {
  const root = freshDir();
  const alice = person(root, 'alice');
  const bob = person(root, 'bob');
  mkdirSync(alice.dir);
  const ok = async (who: Person, args: string[], input?: string) => (await who.ok(t, args, input)).stdout;
  await ok(alice, ['init', '--mode', 'trusted-owner-ssh']);
  await ok(alice, ['set', 'DB_URL'], 'postgres://good\n');
  await ok(alice, ['set', 'PORT'], '5000\n');
  t.equal((await runCli(['clone', alice.dir, 'bob'], { cwd: root, home: bob.home })).code, 0);
  await ok(bob, ['set', 'DB_URL'], 'postgres://wrong\n');
  await ok(bob, ['set', 'NEW_KEY'], 'x\n');
  await ok(bob, ['push', 'origin']);

  t.equal(await ok(alice, ['get', 'DB_URL', '--rev', 'main~2']), 'postgres://good\n', 'an older revision');
  t.equal(await ok(bob, ['get', 'DB_URL', '--rev', 'origin/main']), 'postgres://wrong\n', 'a remote branch');
  t.equal(await ok(alice, ['get', 'PORT', '--rev', 'main@{1}']), '5000\n', 'where main was before the push');
  t.same(JSON.parse(await ok(alice, ['list', '--rev', 'main~1', '--json'])), { DB_URL: null, PORT: null });
  t.equal(
    await ok(alice, ['diff', 'main~2', 'main', '--show-values']),
    '--- main~2\n+++ main\n-DB_URL=postgres://good\n+DB_URL=postgres://wrong\n+NEW_KEY=x\n',
  );
  t.match(await ok(alice, ['export', '--rev', 'main~2']), /^DB_URL=postgres:\/\/good\nPORT=5000\n$/);
  const both = await alice.cli(['get', 'DB_URL', '--env', 'main', '--rev', 'main~1']);
  t.equal(both.code, 2, '--env and --rev exclude each other');

  const reverted = await ok(alice, ['revert']);
  t.match(reverted, /^\[main [0-9a-f]{12}\] Revert "Add NEW_KEY"$/m, 'the last commit is undone');
  t.same(JSON.parse(await ok(alice, ['list', '--json'])), { DB_URL: null, PORT: null });
  const again = await alice.cli(['revert', 'main~2']);
  t.equal(again.code, 0, 'an older commit is reverted key by key');
  t.equal(await ok(alice, ['get', 'DB_URL']), 'postgres://good\n');

  await ok(alice, ['set', 'PORT'], '6000\n');
  await ok(alice, ['set', 'PORT'], '7000\n');
  const refused = await alice.cli(['revert', 'main~1']);
  t.equal(refused.code, 1, 'a key changed again since is not overwritten');
  t.match(refused.stderr, /cannot revert [0-9a-f]{12}: PORT changed again since; nothing changed/);
  t.equal(await ok(alice, ['get', 'PORT']), '7000\n');
  const restored = await ok(alice, ['restore', 'PORT', '--source', 'main~2']);
  t.match(restored, /Restore PORT from main~2/);
  t.equal(await ok(alice, ['get', 'PORT']), '5000\n');
  const added = JSON.parse(await ok(alice, ['history', 'NEW_KEY', '--json'])).find(
    (entry: { added: string[] }) => entry.added.includes('NEW_KEY'),
  );
  await ok(alice, ['restore', 'NEW_KEY', '--source', added.id.slice(0, 12)]);
  t.equal(await ok(alice, ['get', 'NEW_KEY']), 'x\n', 'a key restored from a commit id');
  t.match(await ok(alice, ['history', 'NEW_KEY']), /Restore NEW_KEY/, 'undo leaves history in place');
});
