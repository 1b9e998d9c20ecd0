// A peer that cannot read the values is told why (not a member yet, revoked, or approved after a snapshot
// was sealed), and the commands that need only key names (list, status, history) work for it.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { freshDir, runCli } from '../helpers/cli.ts';

t.test(
  'a peer not approved, then approved, then revoked: each refusal says why; key names stay listed',
  async (t) => {
    const root = freshDir();
    const aliceDir = path.join(root, 'alice');
    const bobDir = path.join(root, 'bob');
    mkdirSync(aliceDir);
    const as = (dir: string, home: string) => async (args: string[], input?: string) =>
      runCli(args, { cwd: dir, home: path.join(root, home), input });
    const alice = as(aliceDir, '.home-alice');
    const bob = as(bobDir, '.home-bob');
    const ok = async (who: typeof alice, args: string[], input?: string) => {
      const result = await who(args, input);
      t.equal(result.code, 0, `env-sync ${args.join(' ')}${result.code === 0 ? '' : `: ${result.stderr}`}`);
      return result.stdout;
    };
    await ok(alice, ['identity', 'init', '--name', 'alice']);
    await ok(as(root, '.home-bob'), ['identity', 'init', '--name', 'bob']);
    await ok(alice, ['init']);
    await ok(alice, ['set', 'API_KEY'], 'canary-value-1\n');
    t.equal(
      (await runCli(['clone', aliceDir, 'bob'], { cwd: root, home: path.join(root, '.home-bob') })).code,
      0,
    );
    const request = path.join(root, 'bob.req');
    await ok(bob, ['peer', 'request', '-o', request]);

    t.equal(await ok(bob, ['list']), 'API_KEY=********\n', 'key names are listed before approval');
    t.match(
      await ok(bob, ['status']),
      /On environment main at [0-9a-f]{12}: 1 key\(s\)\nValues not readable: you \(/,
    );
    t.match(await ok(bob, ['history', 'API_KEY']), /added: {3}API_KEY/, 'history works on key names');
    const get = await bob(['get', 'API_KEY']);
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
    const old = await bob(['get', 'API_KEY', '--rev', 'main~1']);
    t.match(old.stderr, /was sealed before you \([A-Z0-9-]+\) became a reader \(approved at /);

    const bobId = /Z?([A-Z0-9]{6}(-[A-Z0-9]{6}){5})/.exec(
      (await ok(alice, ['peer', 'list'])).split('\n').find((line) => line.includes(' bob '))!,
    )![1]!;
    await ok(alice, ['peer', 'revoke', bobId, '--reason', 'left the team']);
    await ok(alice, ['set', 'API_KEY'], 'canary-value-2\n');
    await ok(bob, ['fetch', 'origin']);
    await bob(['merge', 'origin/main']);
    const revoked = await bob(['get', 'API_KEY', '--rev', 'origin/main']);
    t.equal(revoked.code, 1);
    t.match(
      revoked.stderr,
      /you \([A-Z0-9-]+\) were revoked by alice at \d{4}-\d\d-\d\dT[\d:]+Z; rejoin with a new request/,
    );
    for (const output of [get.stderr, old.stderr, revoked.stderr]) t.notMatch(output, /canary/);
  },
);
