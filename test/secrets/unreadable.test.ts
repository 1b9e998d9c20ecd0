// A peer that cannot read the values is told why (not a member yet, revoked, or approved after a snapshot
// was sealed), and the commands that need only key names (list, status, history) work for it.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { freshDir, runCli } from '../helpers/cli.ts';
import { type Person, person } from './people.ts';

t.test(
  'a peer not approved, then approved, then revoked: each refusal says why; key names stay listed',
  async (t) => {
    const root = freshDir();
    const alice = person(root, 'alice');
    const bob = person(root, 'bob');
    mkdirSync(alice.dir);
    const ok = async (who: Person, args: string[], input?: string) => (await who.ok(t, args, input)).stdout;
    await ok(alice, ['identity', 'init', '--name', 'alice']);
    t.equal((await runCli(['identity', 'init', '--name', 'bob'], { cwd: root, home: bob.home })).code, 0);
    await ok(alice, ['init']);
    await ok(alice, ['set', 'API_KEY'], 'canary-value-1\n');
    t.equal((await runCli(['clone', alice.dir, 'bob'], { cwd: root, home: bob.home })).code, 0);
    const request = path.join(root, 'bob.req');
    await ok(bob, ['peer', 'request', '-o', request]);

    t.equal(await ok(bob, ['list']), 'API_KEY=********\n', 'key names are listed before approval');
    t.match(
      await ok(bob, ['status']),
      /On environment main at [0-9a-f]{12}: 1 key\(s\)\nValues not readable: you \(/,
    );
    t.match(await ok(bob, ['history', 'API_KEY']), /added: {3}API_KEY/, 'history works on key names');
    await ok(alice, ['set', 'OTHER'], 'x\n');
    await ok(bob, ['fetch', 'origin']);
    const names = await bob.cli(['diff', 'main', 'origin/main']);
    t.equal(names.stdout, '--- main\n+++ origin/main\n+OTHER=********\n', 'a masked diff of key names');
    t.match(names.stderr, /values not readable here, so only keys added or removed are shown/);
    const get = await bob.cli(['get', 'API_KEY']);
    t.equal(get.code, 1);
    t.match(
      get.stderr,
      /^env-sync: you \([A-Z0-9-]+\) are not a member of this group yet.*waiting for an admin's approval\)\n$/,
    );

    await ok(alice, ['peer', 'approve', request]);
    await ok(bob, ['pull']);
    t.equal(await ok(bob, ['get', 'API_KEY']), 'canary-value-1\n', 'readable once approved');
    const history = await ok(bob, ['history', 'API_KEY']);
    t.match(history, /Author: alice \([A-Z0-9]{6}…\)/, 'history names the author');
    const old = await bob.cli(['get', 'API_KEY', '--rev', 'main~1']);
    t.match(old.stderr, /was sealed before you \([A-Z0-9-]+\) became a reader \(approved at /);

    const bobId = /Z?([A-Z0-9]{6}(-[A-Z0-9]{6}){5})/.exec(
      (await ok(alice, ['peer', 'list'])).split('\n').find((line) => line.includes(' bob '))!,
    )![1]!;
    await ok(alice, ['peer', 'revoke', bobId, '--reason', 'left the team']);
    await ok(alice, ['set', 'API_KEY'], 'canary-value-2\n');
    await ok(bob, ['fetch', 'origin']);
    await bob.cli(['merge', 'origin/main']);
    const revoked = await bob.cli(['get', 'API_KEY', '--rev', 'origin/main']);
    t.equal(revoked.code, 1);
    t.match(
      revoked.stderr,
      /you \([A-Z0-9-]+\) were revoked by alice at \d{4}-\d\d-\d\dT[\d:]+Z; rejoin with a new request/,
    );
    for (const output of [get.stderr, old.stderr, revoked.stderr]) t.notMatch(output, /canary/);
  },
);

t.test('a join request a member recorded as pending is told it waits for an admin, since when', async (t) => {
  const root = freshDir();
  const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((name) => person(root, name)) as [
    Person,
    Person,
    Person,
  ];
  mkdirSync(alice.dir);
  for (const who of [alice, bob, carol]) {
    const name = path.basename(who.dir);
    t.equal((await runCli(['identity', 'init', '--name', name], { cwd: root, home: who.home })).code, 0);
  }
  await alice.ok(t, ['init']);
  await alice.ok(t, ['set', 'API_KEY'], 'canary-value\n');
  for (const who of [carol, bob]) {
    const name = path.basename(who.dir);
    t.equal((await runCli(['clone', alice.dir, name], { cwd: root, home: who.home })).code, 0);
  }
  const carolRequest = path.join(root, 'carol.req');
  const bobRequest = path.join(root, 'bob.req');
  await carol.ok(t, ['peer', 'request', '-o', carolRequest]);
  await bob.ok(t, ['peer', 'request', '-o', bobRequest]);
  await alice.ok(t, ['peer', 'approve', carolRequest]);
  await carol.ok(t, ['pull']);
  t.match(
    (await carol.ok(t, ['peer', 'approve', bobRequest])).stdout,
    /as pending/,
    'a member may only record it',
  );
  await bob.ok(t, ['remote', 'add', 'carol', carol.dir]);
  await bob.ok(t, ['fetch', 'carol']);
  const get = await bob.cli(['get', 'API_KEY']);
  t.equal(get.code, 1);
  t.match(
    get.stderr,
    /^env-sync: you \([A-Z0-9-]+\) are waiting for approval by an admin since \d{4}-[\d-]+T[\d:]+Z; /,
  );
  t.notMatch(get.stderr, /canary/);
});
