import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { HOSTILE_VALUES, makeRepo } from './helpers.ts';

const hostile = Object.entries(HOSTILE_VALUES);

t.test('set KEY reads stdin (minus one trailing newline) and get prints exactly the value', async (t) => {
  const repo = await makeRepo(t);
  for (const key of ['NEWLINES', 'EMPTY', 'TRAILING_NEWLINE', 'UNICODE']) {
    const set = await repo.ok(t, ['set', '--allow-empty', key], { input: `${HOSTILE_VALUES[key]}\n` });
    t.match(set.stdout, new RegExp(`^\\[main [0-9a-f]{12}\\] Add ${key}\\n$`), 'git-style commit line');
    t.notMatch(set.stderr, /visible/, 'no argv warning for stdin values');
  }
  await repo.ok(t, ['set', 'WINDOWS'], { input: 'value\r\n' });
  await repo.ok(t, ['set', 'BOM'], { input: '\uFEFFstarts with a byte-order mark\n' });
  const keys = ['NEWLINES', 'EMPTY', 'TRAILING_NEWLINE', 'UNICODE', 'WINDOWS', 'BOM'];
  const gets = await Promise.all(keys.map((key) => repo.cli(['get', key])));
  const special: Record<string, string> = { WINDOWS: 'value', BOM: '\uFEFFstarts with a byte-order mark' };
  keys.forEach((key, i) => {
    const expected = special[key] ?? HOSTILE_VALUES[key];
    t.equal(
      gets[i]!.stdout,
      `${expected}\n`,
      `${key} round-trips (a CRLF line end is removed too; a BOM kept)`,
    );
  });
});

t.test('set KEY=VALUE … sets every hostile value in one commit and warns about argv', async (t) => {
  const repo = await makeRepo(t);
  const set = await repo.ok(t, ['set', ...hostile.map(([key, value]) => `${key}=${value}`)]);
  t.match(set.stderr, /warning: values given as arguments are visible to other local users/);
  t.match(set.stdout, /^\[main [0-9a-f]{12}\] Add ALL_QUOTES, BACKSLASH, /);
  const listed = JSON.parse((await repo.ok(t, ['list', '--json', '--show-values'])).stdout);
  t.same(listed, HOSTILE_VALUES, 'every value is kept byte for byte');
  for (const key of ['CRLF', 'DOLLAR', 'SPACES', 'BACKSLASH']) {
    t.equal(
      (await repo.cli(['get', key])).stdout,
      `${HOSTILE_VALUES[key]}\n`,
      `get ${key} prints it exactly`,
    );
  }
  const history = await repo.ok(t, ['history', '--json']);
  t.equal(JSON.parse(history.stdout).length, 1, 'one commit for all the keys');
});

t.test('setting a key to the value it has commits nothing and says so', async (t) => {
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'A'], { input: 'same\n' });
  const again = await repo.ok(t, ['set', 'A'], { input: 'same\n' });
  t.equal(again.stdout, '');
  t.match(again.stderr, /A already has that value in 'main'; nothing to commit/);
  const history = JSON.parse((await repo.ok(t, ['history', '--json'])).stdout);
  t.equal(history.length, 1, 'no empty commit');
});

t.test('-m replaces the generated message', async (t) => {
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'A', '-m', 'Rotate the A credential'], { input: 'x' });
  const [entry] = JSON.parse((await repo.ok(t, ['history', '--json'])).stdout);
  t.equal(entry.message, 'Rotate the A credential');
  t.same(entry.added, ['A']);
});

t.test('get of a missing key exits 1 naming the key and the environment', async (t) => {
  const repo = await makeRepo(t);
  const missing = await repo.cli(['get', 'NOPE']);
  t.equal(missing.code, 1);
  t.equal(missing.stdout, '');
  t.equal(missing.stderr, "env-sync: NOPE is not set in environment 'main'\n");
});

t.test('invalid key names and misused arguments are refused without echoing them', async (t) => {
  const repo = await makeRepo(t);
  const secret = 'postgres://u:hunter2@db';
  const bad = await repo.cli(['set', `${secret}=x`]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /argument 1 is not a valid key name/);
  t.notMatch(bad.stderr, /hunter2/);
  const separate = await repo.cli(['set', 'TOKEN', 'hunter2']);
  t.equal(separate.code, 2);
  t.notMatch(separate.stderr, /hunter2/);
  const mixed = await repo.cli(['set', 'A=1', 'B']);
  t.equal(mixed.code, 2);
  const digit = await repo.cli(['get', '1ABC']);
  t.equal(digit.code, 1);
  t.match(digit.stderr, /not a valid key name/);
  t.equal((await repo.cli(['set', 'a.b-c=v', '_x=v', 'Mixed_9=v'])).code, 0, 'dotenv key names are valid');
  const long = await repo.cli(['set', `${'A'.repeat(2000)}=x`]);
  t.equal(long.code, 1);
  t.equal(long.stderr, 'env-sync: argument 1 is not a valid key name (2000 characters; the limit is 1024)\n');
});

t.test('unset removes keys in one commit; a missing key is an error and removes nothing', async (t) => {
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'A=1', 'B=2', 'C=3']);
  const missing = await repo.cli(['unset', 'A', 'NOPE']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /NOPE is not set in environment 'main'; nothing changed/);
  t.equal((await repo.cli(['get', 'A'])).code, 0, 'A is still set');
  const unset = await repo.ok(t, ['unset', 'A', 'B']);
  t.match(unset.stdout, /\] Remove A, B$/m);
  t.equal((await repo.cli(['get', 'A'])).code, 1);
  const skip = await repo.ok(t, ['unset', '--ignore-missing', 'A']);
  t.match(skip.stderr, /nothing to commit/);
});

t.test('list masks values with a fixed-width mask; --show-values and --json', async (t) => {
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'B_KEY=short', 'A_KEY=a much longer value', 'EMPTY=']);
  const list = await repo.ok(t, ['list']);
  t.equal(list.stdout, 'A_KEY=********\nB_KEY=********\nEMPTY=********\n');
  const shown = await repo.ok(t, ['list', '--show-values']);
  t.equal(shown.stdout, "A_KEY='a much longer value'\nB_KEY=short\nEMPTY=\n");
  t.same(JSON.parse((await repo.ok(t, ['list', '--json'])).stdout), {
    A_KEY: null,
    B_KEY: null,
    EMPTY: null,
  });
  t.same(JSON.parse((await repo.ok(t, ['list', '--json', '--show-values'])).stdout), {
    A_KEY: 'a much longer value',
    B_KEY: 'short',
    EMPTY: '',
  });
  const empty = await makeRepo(t);
  t.equal((await empty.ok(t, ['list'])).stdout, '', 'a fresh main lists nothing');
});

t.test('every secrets command documents itself in --help', async (t) => {
  const repo = await makeRepo(t);
  const help = await repo.cli(['set', '--help']);
  t.match(help.stdout, /reads the value from stdin/);
  t.match(help.stdout, /Examples\n/);
});

t.test(
  'a key file others can read is refused by every command that loads the identity, even one that signs nothing',
  async (t) => {
    const repo = await makeRepo(t);
    const home = mkdtempSync(path.join(tmpdir(), 'env-sync-loose-home-'));
    t.teardown(() => rmSync(home, { recursive: true, force: true }));
    rmSync(home, { recursive: true });
    t.equal((await repo.cli(['identity', 'init'], { home })).code, 0);
    t.equal((await repo.cli(['set', 'A'], { home, input: '1' })).code, 0);
    for (const file of ['signing.key', 'tls.key', 'age-identity.txt']) {
      const loose = path.join(home, file);
      chmodSync(loose, 0o644);
      const refused = await repo.cli(['set', 'A'], { home, input: '2' });
      t.equal(refused.code, 1, `${file}: set is refused`);
      t.equal(
        refused.stderr,
        `env-sync: permissions 0644 for '${loose}' are too open; run chmod 600 '${loose}'\n`,
      );
      chmodSync(loose, 0o600);
    }
    t.equal((await repo.cli(['get', 'A'], { home })).stdout, '1\n', 'nothing was committed');
  },
);
