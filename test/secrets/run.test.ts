import { spawn } from 'node:child_process';
import t from 'tap';
import { BIN, searchPath } from '../helpers/cli.ts';
import { makeRepo } from './helpers.ts';

const node = process.execPath;

for (const entry of ['node', 'command'] as const) {
  t.test(
    `run lays the environment over the process environment and exits with the command code (${entry})`,
    async (t) => {
      const repo = await makeRepo(t);
      const cli = (args: readonly string[], options: { env?: Record<string, string> } = {}) =>
        repo.cli(args, { ...options, entry });
      await repo.ok(t, ['set', 'FROM_ENV_SYNC=multi\nline "v"', 'SHADOWED=from env-sync']);
      await repo.ok(t, ['env', 'create', 'staging']);
      await repo.ok(t, ['set', '--env', 'staging', 'FROM_ENV_SYNC=staging']);
      const print =
        'process.stdout.write(JSON.stringify([process.env.FROM_ENV_SYNC, process.env.SHADOWED, process.env.KEPT])); process.exit(7)';
      const result = await cli(['run', '--', node, '-e', print], {
        env: { SHADOWED: 'parent', KEPT: 'kept' },
      });
      t.equal(result.code, 7, "env-sync exits with the command's code");
      t.same(JSON.parse(result.stdout), ['multi\nline "v"', 'from env-sync', 'kept']);
      const staging = await cli(['run', '--env', 'staging', '--', node, '-e', print]);
      t.same(JSON.parse(staging.stdout)[0], 'staging');
      const flags = await cli(['run', '--', node, '--print', '"--env" + 1']);
      t.equal(flags.stdout, '--env1\n', "the command's own options are passed through");
      const missing = await cli(['run', '--', 'no-such-command-xyz']);
      t.equal(missing.code, 127);
      t.equal(missing.stderr, "env-sync: cannot run 'no-such-command-xyz': command not found\n");
      const none = await cli(['run']);
      t.equal(none.code, 2);
      const help = await cli(['run', '--help']);
      t.equal(help.code, 0);
      t.match(help.stdout, /Run a command with an environment's variables/);
      const elsewhere = await repo.cli(['run', '--', 'true'], { entry, cwd: repo.home });
      t.equal(elsewhere.code, 1);
      t.match(elsewhere.stderr, /not an env-sync repository/);
      t.equal(elsewhere.stdout, '');
    },
  );
}

t.test(
  'as the installed command, run execs the command in its own process, with nothing of env-sync left',
  async (t) => {
    const repo = await makeRepo(t);
    await repo.ok(t, ['set', 'A=1']);
    // The shell reports its pid and whether descriptors 3 and 4 (the plan's pipe, the saved stdout) are open.
    const probe =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a template
      'echo "$$ ${ENV_SYNC_EXEC_PLAN_FD-unset} $A"; for fd in 3 4; do [ -e /proc/$$/fd/$fd ] && echo "fd $fd open"; done; true';
    const { pid, stdout } = await runCommand(repo, ['run', '--', 'sh', '-c', probe]);
    t.equal(
      stdout,
      `${pid} unset 1\n`,
      'the command has the pid env-sync was started with, and no plan variable or descriptor',
    );
    // A key sh cannot hold as a variable: Node runs the command as its child instead, with the same variables.
    await repo.ok(t, ['set', 'DOTTED.NAME=2']);
    const dotted = await runCommand(repo, [
      'run',
      '--',
      node,
      '-e',
      'console.log(process.pid, process.env["DOTTED.NAME"], process.env.A, process.env.ENV_SYNC_EXEC_PLAN_FD)',
    ]);
    const [childPid, ...values] = dotted.stdout.trim().split(' ');
    t.not(Number(childPid), dotted.pid, 'run by Node, as a child');
    t.same(values, ['2', '1', 'undefined']);
  },
);

t.test('as the installed command, signals reach the command itself', { timeout: 20_000 }, async (t) => {
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'A=1']);
  const handles =
    "process.on('SIGTERM', () => process.exit(42)); console.log('ready'); setInterval(() => {}, 1000)";
  const dies = "console.log('ready'); setInterval(() => {}, 1000)";
  t.same(
    await runAndSignal(repo, [BIN], handles, 'SIGTERM'),
    { code: 42, signal: null },
    'the command handled SIGTERM',
  );
  t.same(
    await runAndSignal(repo, [BIN], dies, 'SIGTERM'),
    { code: null, signal: 'SIGTERM' },
    'killed by SIGTERM itself',
  );
});

/** Runs env-sync as the installed command; resolves with the pid it was started with and its stdout. */
function runCommand(repo: { cwd: string; home: string }, args: readonly string[]) {
  return new Promise<{ pid: number; stdout: string }>((resolve, reject) => {
    const child = spawn(BIN, args, {
      cwd: repo.cwd,
      env: { PATH: searchPath(), ENV_SYNC_HOME: repo.home, HOME: repo.home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ pid: child.pid!, stdout });
      else reject(new Error(`env-sync ${args.join(' ')} exited ${code}`));
    });
  });
}

/** Starts `run -- node -e script` through `start`, sends `signal` once the script is ready; its exit. */
function runAndSignal(
  repo: { cwd: string; home: string },
  start: readonly string[],
  script: string,
  signal: NodeJS.Signals,
) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', ...start, 'run', '--', node, '-e', script], {
      cwd: repo.cwd,
      env: { PATH: searchPath(), ENV_SYNC_HOME: repo.home, HOME: repo.home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.once('data', () => child.kill(signal));
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig });
    });
  });
}

t.test(
  'run by node forwards signals and exits 128+signo when a signal ends the command',
  { timeout: 20_000 },
  async (t) => {
    const repo = await makeRepo(t);
    await repo.ok(t, ['set', 'A=1']);
    // The child reports SIGTERM by exiting 42, proving it received the forwarded signal.
    const handles =
      "process.on('SIGTERM', () => process.exit(42)); console.log('ready'); setInterval(() => {}, 1000)";
    const dies = "console.log('ready'); setInterval(() => {}, 1000)";
    const viaNode = [node, BIN];
    t.same(
      await runAndSignal(repo, viaNode, handles, 'SIGTERM'),
      { code: 42, signal: null },
      'SIGTERM reached the child',
    );
    t.same(
      await runAndSignal(repo, viaNode, dies, 'SIGTERM'),
      { code: 143, signal: null },
      'killed by SIGTERM: 128+15',
    );
    t.same(
      await runAndSignal(repo, viaNode, dies, 'SIGINT'),
      { code: 130, signal: null },
      'killed by SIGINT: 128+2',
    );
  },
);
