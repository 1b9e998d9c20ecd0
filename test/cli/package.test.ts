// The package as a user gets it: `npm pack` gives a tarball that `npm install -g` puts into a fresh prefix
// with only node and npm on the PATH (no compiler), running no install script of ours; env-sync is then on
// the PATH, its man pages are where `man` finds them, and its commands run.

import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { ROOT } from '../helpers/cli.ts';

/**
 * This process's environment with `PATH` in its place, without tap's hooks (NODE_OPTIONS, coverage) and
 * without a MANPATH, so man derives its own.
 */
function environment(PATH: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH, ...extra };
  delete env.NODE_OPTIONS;
  delete env.NODE_V8_COVERAGE;
  delete env.MANPATH;
  return env;
}

/** npm's own script, found as the shell would find `npm`. */
function npmCli(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const npm = path.join(dir, 'npm');
    if (dir !== '' && existsSync(npm)) return realpathSync(npm);
  }
  throw new Error('npm is not on the PATH');
}

/** Asserts that `result` exited 0, showing its stderr when it did not. */
function succeeded(t: Test, result: SpawnSyncReturns<string>, what: string): void {
  t.equal(result.status, 0, result.status === 0 ? what : `${what}: ${result.stderr}`);
}

const haveMan = spawnSync('man', ['--version']).status === 0;

t.test(
  'the packed tarball installs globally without a compiler or install script and runs',
  { timeout: 300_000 },
  async (t) => {
    // Not t.testdir(): its fixed name collides when two tap runs share a checkout.
    const dir = mkdtempSync(path.join(tmpdir(), 'env-sync-package-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const tools = path.join(dir, 'tools');
    const prefix = path.join(dir, 'prefix');
    mkdirSync(tools);
    symlinkSync(process.execPath, path.join(tools, 'node'));
    symlinkSync(npmCli(), path.join(tools, 'npm'));
    const npm = (args: string[], cwd: string) =>
      spawnSync('npm', [...args, '--no-audit', '--no-fund'], {
        cwd,
        env: environment(tools),
        encoding: 'utf8',
      });

    // dist/ is what `npm test` built: packing without scripts does not rebuild it under the other tests.
    const packed = npm(['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], ROOT);
    succeeded(t, packed, 'npm pack');
    const tarball = path.join(dir, packed.stdout.trim().split('\n').at(-1)!);
    const installed = npm(['install', '--global', '--prefix', prefix, '--prefer-offline', tarball], dir);
    succeeded(t, installed, 'npm install --global of the tarball');
    t.notMatch(
      installed.stdout + installed.stderr,
      /install-scripts|gyp/i,
      'no install script, nothing compiled',
    );

    const repo = path.join(dir, 'repo');
    mkdirSync(repo);
    const onPath = environment(`${path.join(prefix, 'bin')}:${tools}`, {
      ENV_SYNC_HOME: path.join(dir, 'home'),
    });
    const envSync = (args: string[], input = '') =>
      spawnSync('env-sync', args, { cwd: repo, env: onPath, input, encoding: 'utf8' });
    const init = envSync(['init']);
    succeeded(t, init, 'env-sync init');
    const set = envSync(['set', 'API_TOKEN'], 'token-from-stdin');
    succeeded(t, set, 'env-sync set, the value from stdin');
    const get = envSync(['get', 'API_TOKEN']);
    t.same([get.status, get.stdout], [0, 'token-from-stdin\n'], 'env-sync get prints the value');
    const run = envSync(['run', '--', 'node', '-p', 'process.env.API_TOKEN']);
    t.same([run.status, run.stdout], [0, 'token-from-stdin\n'], 'env-sync run passes it to the command');

    if (!haveMan && process.env.CI !== 'true') {
      t.comment(
        'man is not installed (apt-get install -y man-db): its lookup is not checked; CI fails instead',
      );
      return;
    }
    // man derives its search path from PATH: <prefix>/bin gives <prefix>/share/man.
    const man = spawnSync('man', ['-w', 'env-sync-set'], {
      env: environment(`${path.join(prefix, 'bin')}:${tools}:/usr/bin:/bin`),
      encoding: 'utf8',
    });
    succeeded(t, man, 'man -w env-sync-set');
    t.ok(man.stdout.startsWith(prefix), `man finds env-sync-set in the prefix (${man.stdout.trim()})`);
  },
);
