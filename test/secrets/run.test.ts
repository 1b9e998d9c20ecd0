// `env-sync run` as its caller sees it: the environment laid over the process's, PATH lookup, exit codes and
// signals, on whichever way this Node runs the command (execve where it has process.execve, else a child).

import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { execTarget } from '../../src/cli/secrets/run-exec.ts';
import { BIN } from '../helpers/cli.ts';
import { makeRepo, type TestRepo } from './helpers.ts';

const node = process.execPath;
/** Whether the CLI, run by this same node, replaces its process with the command (Node 22.15+, 23.11+). */
const EXECVE = typeof (process as { execve?: unknown }).execve === 'function';

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** The pid of the env-sync process the test started. */
  readonly pid: number;
}

/** Runs `bin run -- argv` in `repo`, sending `signal` once the command has printed its first line. */
function runThrough(repo: TestRepo, argv: readonly string[], signal?: NodeJS.Signals) {
  return new Promise<Ended>((resolve, reject) => {
    // `env -u NODE_OPTIONS` execs node, so the pid is env-sync's own (without tap's coverage hooks).
    const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', node, BIN, 'run', '--', ...argv], {
      cwd: repo.cwd,
      env: { PATH: process.env.PATH ?? '', ENV_SYNC_HOME: repo.home, HOME: repo.home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout === '' && signal !== undefined) child.kill(signal);
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, ended) => {
      clearTimeout(timer);
      resolve({ code, signal: ended, stdout, pid: child.pid! });
    });
  });
}

t.test('run lays the environment over the process environment and exits with the command code', async (t) => {
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'FROM_ENV_SYNC=multi\nline "v"', 'SHADOWED=from env-sync']);
  await repo.ok(t, ['env', 'create', 'staging']);
  await repo.ok(t, ['set', '--env', 'staging', 'FROM_ENV_SYNC=staging']);
  const print =
    'process.stdout.write(JSON.stringify([process.env.FROM_ENV_SYNC, process.env.SHADOWED, process.env.KEPT])); process.exit(7)';
  const result = await repo.cli(['run', '--', node, '-e', print], {
    env: { SHADOWED: 'parent', KEPT: 'kept' },
  });
  t.equal(result.code, 7, "env-sync exits with the command's code");
  t.same(JSON.parse(result.stdout), ['multi\nline "v"', 'from env-sync', 'kept']);
  const staging = await repo.cli(['run', '--env', 'staging', '--', node, '-e', print]);
  t.same(JSON.parse(staging.stdout)[0], 'staging');
  const flags = await repo.ok(t, ['run', '--', node, '--print', '"--env" + 1']);
  t.equal(flags.stdout, '--env1\n', "the command's own options are passed through");
  const missing = await repo.cli(['run', '--', 'no-such-command-xyz']);
  t.equal(missing.code, 127);
  t.match(missing.stderr, /cannot run 'no-such-command-xyz': command not found/);
  const directory = await repo.cli(['run', '--', repo.cwd]);
  t.equal(directory.code, 126, 'a directory cannot be executed: 126');
  t.match(directory.stderr, /cannot run '.*': EACCES/);
  const none = await repo.cli(['run']);
  t.equal(none.code, 2);
});

/**
 * How a long-running command ends, as the caller of `bin run` sees it, when the caller sends SIGTERM to a
 * command that handles it (exit 42), and SIGTERM or SIGINT to one that does not.
 */
async function signalEndings(repo: TestRepo) {
  const handles =
    "process.on('SIGTERM', () => process.exit(42)); console.log('ready'); setInterval(() => {}, 1000)";
  const dies = "console.log('ready'); setInterval(() => {}, 1000)";
  const ended = async (script: string, signal: NodeJS.Signals) => {
    const { code, signal: by } = await runThrough(repo, [node, '-e', script], signal);
    return { code, signal: by };
  };
  return {
    handled: await ended(handles, 'SIGTERM'),
    terminated: await ended(dies, 'SIGTERM'),
    interrupted: await ended(dies, 'SIGINT'),
  };
}

t.test(
  'signals reach the command, and its end is what the caller sees: the signal itself, or 128 + its number',
  { timeout: 30_000 },
  async (t) => {
    const repo = await makeRepo(t);
    await repo.ok(t, ['set', 'A=1']);
    // With execve the caller's signal goes to the command itself, which then ends by it; a child is sent the
    // signal env-sync received, and env-sync reports the signal that ended it as shells do.
    const ended = (signal: NodeJS.Signals, code: number) =>
      EXECVE ? { code: null, signal } : { code, signal: null };
    t.same(await signalEndings(repo), {
      handled: { code: 42, signal: null },
      terminated: ended('SIGTERM', 143),
      interrupted: ended('SIGINT', 130),
    });
    const missing = await runThrough(repo, ['no-such-command-xyz']);
    t.equal(missing.code, 127, 'a command that cannot be found: 127');
    const pid = await runThrough(repo, ['sh', '-c', 'echo $$']);
    t.equal(
      Number(pid.stdout.trim()) === pid.pid,
      EXECVE,
      EXECVE ? "the command runs as env-sync's own process" : 'the command is a child of env-sync',
    );
    t.equal(pid.code, 0);
  },
);

t.test("the command shares the caller's standard input and output", async (t) => {
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'A=1']);
  const echoed = await repo.ok(t, ['run', '--', 'cat'], { input: 'typed by the caller\n' });
  t.equal(echoed.stdout, 'typed by the caller\n');
});

t.test('the command is found in the PATH it is given, scripts without #! run under sh', async (t) => {
  const repo = await makeRepo(t);
  const tools = path.join(repo.cwd, 'tools');
  mkdirSync(tools);
  // No #! line: the kernel refuses it (ENOEXEC) and, as execvp does, sh reads it.
  writeFileSync(path.join(tools, 'greet'), 'echo "hello $WHO from $0"\n');
  chmodSync(path.join(tools, 'greet'), 0o755);
  await repo.ok(t, ['set', `PATH=${tools}:${process.env.PATH}`, 'WHO=env-sync']);
  const greeted = await repo.ok(t, ['run', '--', 'greet']);
  t.equal(greeted.stdout, `hello env-sync from ${path.join(tools, 'greet')}\n`);
  // As execvp: an entry that is a file (ENOTDIR) or where the name is not executable (EACCES) is passed
  // over, the latter reported when nothing else is found (126).
  const blocked = path.join(repo.cwd, 'blocked');
  mkdirSync(blocked);
  writeFileSync(path.join(blocked, 'greet'), 'echo not me\n');
  writeFileSync(path.join(repo.cwd, 'a-file'), '');
  await repo.ok(t, ['set', `PATH=${path.join(repo.cwd, 'a-file')}:${blocked}:${tools}:${process.env.PATH}`]);
  const passedOver = await repo.ok(t, ['run', '--', 'greet']);
  t.equal(passedOver.stdout, `hello env-sync from ${path.join(tools, 'greet')}\n`, 'found past both');
  writeFileSync(path.join(tools, 'plain'), 'echo no\n');
  const denied = await repo.cli(['run', '--', 'plain']);
  t.equal(denied.code, 126);
  t.match(denied.stderr, /cannot run 'plain': EACCES/);
  const empty = await repo.cli(['run', '--', '']);
  t.equal(empty.code, 127, 'the empty name is not found');
});

t.test('a value holding a NUL byte is refused by name, never shown', async (t) => {
  const repo = await makeRepo(t);
  const secret = 'nul-canary-93b1';
  await repo.ok(t, ['set', 'BINARY'], { input: `${secret}\0tail` });
  const refused = await repo.cli(['run', '--', 'true']);
  t.equal(refused.code, 1);
  t.equal(refused.stderr, 'env-sync: cannot pass BINARY to the command: its value holds a NUL byte\n');
  t.notMatch(refused.stderr + refused.stdout, secret);
});

t.test('a command the kernel refuses (E2BIG) exits 126', async (t) => {
  const repo = await makeRepo(t);
  // One variable above the kernel's 128 KiB limit on a single string.
  await repo.ok(t, ['set', 'HUGE'], { input: 'x'.repeat(140_000) });
  const ran = await runThrough(repo, ['true']);
  t.equal(ran.code, 126);
});

t.test('execve is given only a file the kernel will run; anything else is left to spawn', async (t) => {
  const dir = t.testdir({
    tools: { script: '#!/bin/sh\necho hi\n', bare: 'echo hi\n', orphan: '#!/no/such/shell\necho hi\n' },
    'a-file': '',
  });
  const tools = path.join(dir, 'tools');
  for (const name of ['script', 'bare', 'orphan']) chmodSync(path.join(tools, name), 0o755);
  const inPath = (PATH: string, extra: Record<string, string> = {}) =>
    new Map(Object.entries({ PATH, ...extra }));
  const env = inPath(`${path.join(dir, 'a-file')}:${dir}:${tools}`);
  t.equal(execTarget('script', [], env), path.join(tools, 'script'), 'a #! script found in the PATH given');
  t.equal(execTarget(node, ['-e', '0'], env), node, 'a binary named by its path');
  t.equal(execTarget('bare', [], env), null, 'a script without #! (sh runs it, through spawn)');
  t.equal(execTarget('orphan', [], env), null, 'a script whose interpreter is missing');
  t.equal(execTarget('no-such-command-xyz', [], env), null, 'a name found nowhere');
  t.equal(execTarget(tools, [], env), null, 'a directory');
  writeFileSync(path.join(tools, 'plain'), '#!/bin/sh\n');
  t.equal(execTarget('plain', [], env), null, 'a file without execute permission');
  const huge = inPath(`${tools}`, { HUGE: 'x'.repeat(140_000) });
  t.equal(execTarget('script', [], huge), null, 'an environment beyond the kernel limits');
});
