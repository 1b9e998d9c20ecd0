import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { commandHelps } from '../../src/cli/command-help.ts';
import { complete } from '../../src/cli/completion/complete.ts';
import { repositoryNames } from '../../src/cli/completion/repository-names.ts';
import { buildCli } from '../../src/cli/main.ts';
import { allCommands } from '../../src/cli/registry.ts';
import { BIN } from '../helpers/cli.ts';
import { makeCliRepo } from '../store/cli-repo.ts';

const home = `${t.testdir()}/home`;
// Reading a registry records what this machine verified, in the identity home: this process's is the test's.
process.env.ENV_SYNC_HOME = home;
const CANARY = 'canary-value-never-completed';

t.test('bash completes commands, options, environments, keys and remotes by driving _env_sync', async (t) => {
  const repo = await makeCliRepo(t, home);
  await repo.ok(t, ['set', 'DATABASE_URL'], { input: `${CANARY}\n` });
  await repo.ok(t, ['set', 'DEBUG_LEVEL'], { input: '3\n' });
  await repo.ok(t, ['env', 'create', 'staging']);
  await repo.ok(t, ['remote', 'add', 'origin', '/nowhere']);
  const bin = path.join(path.dirname(repo.cwd), 'bin');
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, 'env-sync'),
    `#!/bin/sh\nexec env -u NODE_OPTIONS '${process.execPath}' '${BIN}' "$@"\n`,
  );
  chmodSync(path.join(bin, 'env-sync'), 0o755);
  const script = `
    eval "$(env-sync completion bash)"
    complete -p env-sync
    comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _env_sync; echo "$*|\${COMPREPLY[*]}"; }
    comp env-sync se
    comp env-sync env ''
    comp env-sync get DE
    comp env-sync --no-color get --env main DA
    comp env-sync list --js
    comp env-sync checkout --env st
    comp env-sync push ''
    comp env-sync export --format ''
    comp env-sync help pe
    comp env-sync run -- ''
  `;
  const bash = spawnSync('bash', ['--norc', '-c', script], {
    cwd: repo.cwd,
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: home, ENV_SYNC_HOME: home },
    encoding: 'utf8',
  });
  t.equal(bash.stderr, '');
  const lines = bash.stdout.trim().split('\n');
  t.equal(lines[0], 'complete -o default -o nosort -F _env_sync env-sync', 'the function is registered');
  t.same(lines.slice(1), [
    'env-sync se|serve set',
    'env-sync env |create delete list',
    'env-sync get DE|DEBUG_LEVEL',
    'env-sync --no-color get --env main DA|DATABASE_URL',
    'env-sync list --js|--json',
    'env-sync checkout --env st|staging',
    'env-sync push |origin',
    'env-sync export --format |dotenv json shell',
    'env-sync help pe|peer',
    'env-sync run -- |',
  ]);
  t.notMatch(bash.stdout, CANARY, 'key names only, never a value');
});

t.test("peer commands complete the names and ids of the group's peers", async (t) => {
  const repo = await makeCliRepo(t, home, 'secure-peer');
  const commands = await allCommands();
  const helps = commandHelps(buildCli(commands), commands);
  const [peer] = JSON.parse(await repo.ok(t, ['peer', 'list', '--json'])) as {
    peerId: string;
    name: string;
  }[];
  const names = repositoryNames(repo.cwd);
  t.same(await complete(['peer', 'show', ''], helps, names), [peer!.name, peer!.peerId].sort());
  t.same(await complete(['peer', 'approve', ''], helps, names), [], 'approve offers pending peers only');
});

t.test('completion lists subcommands, skips -C, and offers nothing outside a repository', async (t) => {
  const commands = await allCommands();
  const helps = commandHelps(buildCli(commands), commands);
  const outside = repositoryNames(t.testdir());
  t.same(await complete(['get', ''], helps, outside), [], 'no keys without a repository');
  t.same(await complete(['peer', 're'], helps, outside), ['request', 'revoke']);
  t.same(await complete(['-C', 'x', 'env', 'l'], helps, outside), ['list'], '-C and its path are skipped');
  t.same(await complete(['history', '-n', ''], helps, outside), [], 'a count has no candidates');
});

t.test('the zsh and fish scripts are printed, and parse where the shell is installed', async (t) => {
  for (const shell of ['zsh', 'fish']) {
    const printed = spawnSync(process.execPath, [BIN, 'completion', shell], { encoding: 'utf8' });
    t.equal(printed.status, 0);
    t.match(printed.stdout, 'env-sync __complete');
    const check = spawnSync(shell, ['-n'], { input: printed.stdout, encoding: 'utf8' });
    if (check.error === undefined) t.equal(check.status, 0, `${shell} -n accepts it`);
  }
  const unknown = spawnSync(process.execPath, [BIN, 'completion', 'tcsh'], { encoding: 'utf8' });
  t.equal(unknown.status, 2);
});
