import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { CliResult } from '../helpers/cli.ts';
import { type Mode, makeRepo, type TestRepo } from './helpers.ts';

// Every value set below contains CANARY, so a leak of any of them is found by one search.
const CANARY = 'cAnArY-91f3e';
const VALUES = {
  PIPED: `${CANARY}-piped`,
  ARGV: `${CANARY}-argv`,
  MULTI: `first ${CANARY}\nsecond "line" # ${CANARY}`,
  // ' " ` and # together: .env cannot hold it, so export must fail without showing it.
  AWKWARD: `${CANARY}'"\` #x`,
};

const all = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? all(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );

async function exercise(t: Test, repo: TestRepo) {
  const shows: CliResult[] = [];
  const hides: CliResult[] = [];
  const hide = async (args: string[], input?: string) => {
    const result = await repo.cli(args, input === undefined ? {} : { input });
    hides.push(result);
    return result;
  };
  const show = async (args: string[]) => {
    const result = await repo.cli(args);
    shows.push(result);
    t.ok(result.stdout.includes(CANARY), `${args.join(' ')} shows values, as asked`);
    return result;
  };

  await hide(['set', 'PIPED'], `${VALUES.PIPED}\n`);
  await hide(['set', 'MULTI'], VALUES.MULTI);
  await hide(['set', `ARGV=${VALUES.ARGV}`, `AWKWARD=${VALUES.AWKWARD}`]);
  await hide(['set', 'PIPED'], `${VALUES.PIPED}\n`); // a no-op
  await show(['get', 'PIPED']);
  await show(['list', '--show-values']);
  await show(['list', '--json', '--show-values']);
  await show(['export', '--format', 'json']);
  await show(['export', '--format', 'shell']);
  await show(['run', '--', process.execPath, '-e', 'console.log(process.env.ARGV)']);
  await hide(['list']);
  await hide(['list', '--json']);
  const refused = await hide(['export']);
  t.equal(refused.code, 1, 'export --format dotenv refuses AWKWARD, naming only the key');
  await hide(['export', '--format', 'json', '-o', 'exported.json']);
  await hide(['env', 'create', 'copy', '--from', 'main']);
  await hide(['set', '--env', 'copy', `ARGV=${CANARY}-changed`]);
  await hide(['unset', '--env', 'copy', 'AWKWARD']);
  await hide(['env', 'list']);
  await hide(['checkout', '--env', 'copy']);
  writeFileSync(path.join(repo.cwd, '.env'), `ARGV=${CANARY}-edited\nNEW=${CANARY}-new\n`);
  await hide(['status']);
  await hide(['diff']);
  await show(['diff', '--show-values']);
  const dirty = await hide(['checkout', '--env', 'main']);
  t.equal(dirty.code, 1, 'checkout refuses over edits');
  await hide(['import', '--env', 'copy']);
  await hide(['history']);
  await hide(['history', '--json', '--env', 'copy']);
  await hide(['history', 'ARGV', '--env', 'copy']);
  await hide(['get', 'MISSING']);
  await hide(['unset', 'MISSING']);
  await hide(['set', `${CANARY}/bad=${CANARY}`]);
  await hide(['set', 'KEY', `${CANARY}-as-separate-argument`]);
  writeFileSync(path.join(repo.cwd, 'bad.env'), `OK=1\n${CANARY} is not an assignment\n`);
  await hide(['import', 'bad.env']);
  writeFileSync(path.join(repo.cwd, 'badkey.env'), `9${CANARY}=x\n`);
  await hide(['import', 'badkey.env']);
  await hide(['env', 'delete', 'copy']);

  hides.forEach((result, i) => {
    t.notOk(result.stdout.includes(CANARY), `masked command #${i + 1}: no value on stdout`);
    t.notOk(result.stderr.includes(CANARY), `masked command #${i + 1}: no value on stderr`);
  });
  for (const [i, result] of shows.entries()) {
    t.notOk(result.stderr.includes(CANARY), `command #${i + 1}: no value in errors`);
  }
}

for (const mode of ['trusted-owner-ssh', 'secure-peer'] as Mode[]) {
  t.test(`${mode}: canaries appear only where values were asked for`, async (t) => {
    const repo = await makeRepo(t, mode);
    await exercise(t, repo);
    const dir = path.join(repo.cwd, '.env-sync');
    const files = all(dir);
    t.ok(
      files.some((file) => file.includes(`${path.sep}logs${path.sep}`)),
      'the reflog is searched too',
    );
    for (const file of files) {
      const isObject = path.relative(dir, file).startsWith(`objects${path.sep}`);
      const leaks = readFileSync(file).includes(CANARY);
      // Plaintext snapshot objects hold values by design; an encrypted repository holds none anywhere.
      if (mode === 'trusted-owner-ssh' && isObject) continue;
      t.notOk(leaks, `${path.relative(dir, file)} holds no value`);
    }
    if (mode === 'trusted-owner-ssh') {
      t.ok(
        files.some((file) => readFileSync(file).includes(CANARY)),
        'sanity: the search does find values in plaintext snapshot objects',
      );
    }
  });
}
