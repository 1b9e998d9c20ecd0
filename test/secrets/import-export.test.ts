import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import t from 'tap';
import { ROOT } from '../helpers/cli.ts';
import { HOSTILE_VALUES, makeRepo } from './helpers.ts';

const fixture = (name: string) => path.join(ROOT, 'fixtures/dotenv', name);
const constructs = JSON.parse(readFileSync(fixture('constructs.json'), 'utf8')) as Record<string, string>;

async function values(repo: Awaited<ReturnType<typeof makeRepo>>, env = 'main') {
  const result = await repo.cli(['list', '--json', '--show-values', '--env', env]);
  return JSON.parse(result.stdout) as Record<string, string>;
}

t.test('import reads every dotenv construct, LF and CRLF, exactly as dotenv does', async (t) => {
  const repo = await makeRepo(t);
  const lf = await repo.ok(t, ['import', fixture('constructs.env')]);
  t.match(lf.stdout, /^\[main [0-9a-f]{12}\] Import constructs\.env: add BACKTICK, COLON, /);
  t.match(lf.stderr, /DUP is set on lines 21, 22; the last one wins/);
  t.same(await values(repo), constructs);

  await repo.ok(t, ['env', 'create', 'crlf']);
  const crlfFile = path.join(repo.cwd, 'crlf.env');
  writeFileSync(crlfFile, readFileSync(fixture('constructs.env'), 'utf8').replace(/\n/g, '\r\n'));
  await repo.ok(t, ['import', '--env', 'crlf', 'crlf.env']);
  t.same(await values(repo, 'crlf'), constructs);

  const again = await repo.ok(t, ['import', fixture('constructs.env')]);
  t.equal(again.stdout, '');
  t.match(again.stderr, /already matches .*; nothing to commit/);
});

t.test('import merges by default and --replace makes the environment exactly the file', async (t) => {
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'KEEP=1', 'CHANGE=old']);
  writeFileSync(path.join(repo.cwd, '.env'), 'CHANGE=new\nADD=2\n');
  const merged = await repo.ok(t, ['import']);
  t.match(merged.stdout, /\] Import \.env: add ADD; change CHANGE$/m, 'the default file is .env');
  t.same(await values(repo), { ADD: '2', CHANGE: 'new', KEEP: '1' });
  const replaced = await repo.ok(t, ['import', '--replace', '-'], { input: 'ADD=2\n' });
  t.match(replaced.stdout, /\] Replace with stdin: remove CHANGE, KEEP$/m, '- reads stdin');
  t.same(await values(repo), { ADD: '2' });
});

t.test('an unparseable file is an error naming the line, and nothing is committed', async (t) => {
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'A=1']);
  writeFileSync(path.join(repo.cwd, 'bad.env'), 'GOOD=1\n# comment\nthis line is not an assignment\nB=2\n');
  const bad = await repo.cli(['import', 'bad.env']);
  t.equal(bad.code, 1);
  t.equal(bad.stderr, 'env-sync: bad.env: line 3: expected KEY=VALUE; nothing imported\n');
  writeFileSync(path.join(repo.cwd, 'badkey.env'), 'OK=1\n9LIVES=secret-ish\n');
  const badKey = await repo.cli(['import', 'badkey.env']);
  t.equal(badKey.code, 1);
  t.match(badKey.stderr, /line 2: invalid key name/);
  t.notMatch(badKey.stderr, /secret-ish/);
  const missing = await repo.cli(['import', 'nope.env']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /cannot read 'nope.env': no such file/);
  t.same(await values(repo), { A: '1' }, 'the environment is unchanged');
  t.equal(JSON.parse((await repo.cli(['history', '--json'])).stdout).length, 1, 'no commit was made');
});

t.test(
  'export: dotenv reads back, json and shell hold every value, /bin/sh eval gives identical values',
  async (t) => {
    const repo = await makeRepo(t);
    const entries = Object.entries(HOSTILE_VALUES);
    await repo.ok(t, ['set', ...entries.map(([k, v]) => `${k}=${v}`)]);

    const unrepresentable = await repo.cli(['export']);
    t.equal(unrepresentable.code, 1);
    t.match(
      unrepresentable.stderr,
      /the value of ALL_QUOTES cannot be written in \.env format.*--format json or --format shell/,
    );
    t.equal(unrepresentable.stdout, '', 'nothing partial is printed');

    const json = await repo.ok(t, ['export', '--format', 'json']);
    t.same(JSON.parse(json.stdout), HOSTILE_VALUES);

    const shell = await repo.ok(t, ['export', '--format', 'shell']);
    const script = `${shell.stdout}\nexec "${process.execPath}" -e 'process.stdout.write(JSON.stringify(process.env))'`;
    const seen = JSON.parse(execFileSync('/bin/sh', ['-c', script], { env: {} }).toString('utf8'));
    for (const [key, value] of entries) t.equal(seen[key], value, `sh eval keeps ${key}`);

    await repo.ok(t, ['unset', 'ALL_QUOTES']);
    const text = await repo.ok(t, ['export']);
    const expected = { ...HOSTILE_VALUES } as Record<string, string>;
    delete expected.ALL_QUOTES;
    t.same(dotenv.parse(text.stdout), expected, "dotenv's parser reads the export back exactly");

    const file = path.join(repo.cwd, 'out.env');
    writeFileSync(file, 'old\n');
    chmodSync(file, 0o644);
    const written = await repo.ok(t, ['export', '-o', 'out.env', '--format', 'json']);
    t.equal(written.stdout, '');
    t.equal(statSync(file).mode & 0o777, 0o600, 'the file is 0600, even replacing a 0644 one');
    t.same(JSON.parse(readFileSync(file, 'utf8')), expected);
    const bad = await repo.cli(['export', '--format', 'yaml']);
    t.equal(bad.code, 2);
  },
);
