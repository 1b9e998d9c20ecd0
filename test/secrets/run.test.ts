import { spawn } from 'node:child_process';
import t from 'tap';
import { BIN } from '../helpers/cli.ts';
import { makeRepo } from './helpers.ts';

const node = process.execPath;

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
  const none = await repo.cli(['run']);
  t.equal(none.code, 2);
});

t.test(
  'run forwards signals and exits 128+signo when a signal ends the command',
  { timeout: 20_000 },
  async (t) => {
    const repo = await makeRepo(t);
    await repo.ok(t, ['set', 'A=1']);
    // The child reports SIGTERM by exiting 42, proving it received the forwarded signal.
    const handles =
      "process.on('SIGTERM', () => process.exit(42)); console.log('ready'); setInterval(() => {}, 1000)";
    const dies = "console.log('ready'); setInterval(() => {}, 1000)";
    const runAndSignal = (script: string, signal: NodeJS.Signals) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
        const child = spawn(
          '/usr/bin/env',
          ['-u', 'NODE_OPTIONS', node, BIN, 'run', '--', node, '-e', script],
          {
            cwd: repo.cwd,
            env: { PATH: process.env.PATH ?? '', ENV_SYNC_HOME: repo.home, HOME: repo.home },
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.stdout.once('data', () => child.kill(signal));
        child.on('error', reject);
        child.on('close', (code, sig) => {
          clearTimeout(timer);
          resolve({ code, signal: sig });
        });
      });
    t.same(await runAndSignal(handles, 'SIGTERM'), { code: 42, signal: null }, 'SIGTERM reached the child');
    t.same(await runAndSignal(dies, 'SIGTERM'), { code: 143, signal: null }, 'killed by SIGTERM: 128+15');
    t.same(await runAndSignal(dies, 'SIGINT'), { code: 130, signal: null }, 'killed by SIGINT: 128+2');
  },
);
