import t from 'tap';
import { makeCliRepo } from '../store/cli-repo.ts';
import { initPeer, peer } from '../sync/helpers.ts';

const home = `${t.testdir()}/home`;

t.test('a missing argument is named, with the help to read', async (t) => {
  const repo = await makeCliRepo(t, home);
  const cases: [string[], string][] = [
    [['get'], "env-sync: missing <key>; see 'env-sync help get'\n"],
    [['get', '--env', 'main'], "env-sync: missing <key>; see 'env-sync help get'\n"],
    [['set'], "env-sync: missing <key>; see 'env-sync help set'\n"],
    [['remote', 'add'], "env-sync: missing <name>; see 'env-sync help remote add'\n"],
    [['remote', 'add', 'origin'], "env-sync: missing <url>; see 'env-sync help remote add'\n"],
    [['run', '--env', 'main'], "env-sync: missing <command>; see 'env-sync help run'\n"],
  ];
  for (const [args, stderr] of cases) {
    const result = await repo.run(args);
    t.same([result.code, result.stderr], [2, stderr], args.join(' '));
  }
});

t.test('a mistyped option or key name gets the nearest one, and never a value', async (t) => {
  const repo = await makeCliRepo(t, home);
  await repo.ok(t, ['set', 'DATABASE_URL'], { input: 'postgres://secret@db\n' });
  const option = await repo.run(['list', '--jsno']);
  t.same(
    [option.code, option.stderr],
    [2, "env-sync: unknown option '--jsno' (did you mean '--json'?); see 'env-sync help list'\n"],
  );
  const key = await repo.run(['get', 'DATABSE_URL']);
  t.same(
    [key.code, key.stderr],
    [1, "env-sync: DATABSE_URL is not set in environment 'main' (did you mean 'DATABASE_URL'?)\n"],
  );
  const unset = await repo.run(['unset', 'DATABASE_UR']);
  t.match(
    unset.stderr,
    /^env-sync: DATABASE_UR is not set in environment 'main' \(did you mean 'DATABASE_URL'\?\)/,
  );
  t.notMatch(key.stderr + unset.stderr, /secret/);
});

t.test('a short option takes its value attached, as getopt reads it: history -n1', async (t) => {
  const repo = await makeCliRepo(t, home);
  await repo.run(['set', 'A=1']);
  await repo.run(['set', 'B=2']);
  const attached = JSON.parse(await repo.ok(t, ['history', '-n1', '--json']));
  const apart = JSON.parse(await repo.ok(t, ['history', '-n', '1', '--json']));
  t.equal(attached.length, 1);
  t.same(attached, apart);
  const after = await repo.run(['run', '--', 'sh', '-c', 'printf %s "$1"', 'sh', '-n1']);
  t.equal(after.stdout, '-n1', 'an argument after -- is left as it is');
});

t.test(
  'push, fetch and pull without a remote use the upstream that push -u records, else origin',
  async (t) => {
    const root = t.testdir();
    const a = await initPeer(root, 'a');
    await a.commit({ K: '1' });
    const spare = peer(root, 'spare');
    await spare.ok(t, ['clone', a.dir, spare.dir]);
    const b = peer(root, 'b');
    await b.ok(t, ['clone', a.dir, b.dir]);
    t.match((await b.ok(t, ['fetch'])).stderr, /^origin: /, 'fetch uses origin');
    await b.ok(t, ['remote', 'add', 'laptop', spare.dir]);
    await b.ok(t, ['set', 'K=2']);
    const pushed = await b.ok(t, ['push', '-u', 'laptop']);
    t.match(pushed.stdout, /^main: /);
    t.same(await spare.entries(), { K: '2' }, 'pushed to laptop');
    t.match((await b.ok(t, ['fetch'])).stderr, /^laptop: /, 'fetch now uses the upstream');
    await b.ok(t, ['set', 'K=3']);
    await b.ok(t, ['push']);
    t.same(await spare.entries(), { K: '3' }, 'and so does push');
    t.same(await a.entries(), { K: '1' }, 'origin was left alone');
    await b.ok(t, ['remote', 'remove', 'laptop']);
    t.match(
      (await b.ok(t, ['fetch'])).stderr,
      /^origin: /,
      'removing the upstream remote falls back to origin',
    );
  },
);

t.test(
  'an environment with a dot in its name syncs with origin; push -u says why it cannot record it',
  async (t) => {
    const root = t.testdir();
    const a = await initPeer(root, 'a');
    await a.commit({ K: '1' });
    const b = peer(root, 'b');
    await b.ok(t, ['clone', a.dir, b.dir]);
    await b.ok(t, ['env', 'create', 'release.1', '--from', 'main']);
    await b.ok(t, ['checkout', '--env', 'release.1']);
    t.match((await b.ok(t, ['fetch'])).stderr, /^origin: /);
    const refused = await b.cli(['push', '-u', 'origin']);
    t.same(
      [refused.code, refused.stderr],
      [
        2,
        "env-sync: environment 'release.1' has a '.' in its name, which an upstream setting cannot hold; name the remote instead\n",
      ],
    );
    t.equal(await a.ref('refs/heads/release.1'), null, 'nothing was pushed');
    await b.ok(t, ['push']);
    t.not(await a.ref('refs/heads/release.1'), null, 'push without -u goes to origin');
  },
);
