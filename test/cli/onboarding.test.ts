// How many commands a person types from an installed env-sync to a secret in a process: the README's
// figures (a solo user: 2 after installing; a teammate: 2 after installing), measured by doing it.

import t from 'tap';
import { founder, invite, securePeer, serveTls } from '../transport/mtls-helpers.ts';

const PRINT_SECRET = ['run', '--', 'sh', '-c', 'printf %s "$DATABASE_URL"'];

t.test('a solo user gets a secret into a process in two commands: set, then run', async (t) => {
  const solo = securePeer(t.testdir(), 'solo');
  const typed = [
    await solo.ok(t, ['set', 'DATABASE_URL'], 'postgres://localhost/app\n'),
    await solo.ok(t, PRINT_SECRET),
  ];
  t.match(typed[0]!.stderr, /env-sync: Initialized empty env-sync repository in \S+\/solo\/\.env-sync\//);
  t.match(typed[0]!.stderr, /no repository was here, so 'set' made one/, 'the implied init says so');
  t.equal(typed[1]!.stdout, 'postgres://localhost/app');
});

t.test('a teammate invited with --approve gets it in two commands: clone, then run', async (t) => {
  const root = t.testdir();
  const alice = await founder(t, root, 'alice', { DATABASE_URL: 'postgres://db/team' });
  const served = await serveTls(t, alice);
  const token = await invite(t, alice, served, ['--approve']);
  const bob = securePeer(root, 'bob');
  const typed = [await bob.ok(t, ['clone', token, bob.dir], undefined, root), await bob.ok(t, PRINT_SECRET)];
  t.equal(typed[1]!.stdout, 'postgres://db/team');
  await served.stop();
});
