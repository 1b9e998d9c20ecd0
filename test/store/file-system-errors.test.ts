// A full disk and a read-only file system (small tmpfs mounts), and a directory its user may not write (the CLI
// run as an unprivileged user): the error names the cause and the file, the repository is as it was (fsck
// passes, every value reads), and the next command works once the file system does.

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { initRepository } from '../../src/store/repository.ts';
import { BIN, runCli } from '../helpers/cli.ts';

/**
 * Runs `body` with a tmpfs of `size` mounted at a new directory, then unmounts it (outside tap's fixture
 * directories, which tap removes before a test's teardown runs).
 */
async function withTmpfs(size: string, body: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'env-sync-fs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', root]);
  try {
    await body(root);
  } finally {
    execFileSync('umount', [root]);
    rmSync(root, { recursive: true });
  }
}

async function repoIn(root: string) {
  const cwd = path.join(root, 'work');
  mkdirSync(cwd);
  await initRepository(cwd, { mode: 'dev-plaintext-http' });
  const home = path.join(root, 'home');
  return (args: string[], input?: string) =>
    runCli(args, { cwd, home, ...(input === undefined ? {} : { input }) });
}

t.test('a full disk: the error names ENOSPC and the file, and nothing is lost', async (t) => {
  await withTmpfs('160k', async (root) => {
    const run = await repoIn(root);
    t.equal((await run(['set', 'KEEP'], 'kept-value')).code, 0);
    const big = 'x'.repeat(200_000);
    const full = await run(['set', 'BIG'], big);
    t.equal(full.code, 1);
    t.match(
      full.stderr,
      /^env-sync: no space left on device \(ENOSPC\) during write of '[^']*\.env-sync\/[^']+'\n$/,
    );
    t.notMatch(full.stderr, /x{20}/, 'the value is not in the error');
    t.match((await run(['fsck'])).stdout, /^ok: /m, 'fsck passes');
    t.equal((await run(['get', 'KEEP'])).stdout, 'kept-value\n');
    t.equal((await run(['get', 'BIG'])).code, 1, 'the failed set committed nothing');
    execFileSync('mount', ['-o', 'remount,size=4m', root]);
    t.equal((await run(['set', 'BIG'], big)).code, 0, 'with space again, the same set works');
    t.equal((await run(['get', 'BIG'])).stdout, `${big}\n`);
  });
});

t.test('a read-only file system: the error says so (not ENOENT) and names the directory', async (t) => {
  await withTmpfs('4m', async (root) => {
    const run = await repoIn(root);
    t.equal((await run(['set', 'KEEP'], 'kept-value')).code, 0);
    execFileSync('mount', ['-o', 'remount,ro', root]);
    const refused = await run(['set', 'NEW'], 'new-value');
    t.equal(refused.code, 1);
    t.match(
      refused.stderr,
      /^env-sync: read-only file system \(EROFS\) during \w+ of '[^']*\.env-sync\/[^']+'\n$/,
    );
    t.equal((await run(['get', 'KEEP'])).stdout, 'kept-value\n', 'reading still works');
    execFileSync('mount', ['-o', 'remount,rw', root]);
    t.equal((await run(['set', 'NEW'], 'new-value')).code, 0);
    t.match((await run(['fsck'])).stdout, /^ok: /m);
  });
});

/** Runs the CLI as the unprivileged user 65534 (the tests run as root, whom no permission stops). */
function runAsNobody(cwd: string, home: string, args: readonly string[], input = '') {
  const done = spawnSync(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'env',
      '-u',
      'NODE_OPTIONS',
      process.execPath,
      BIN,
      ...args,
    ],
    { cwd, input, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: home, ENV_SYNC_HOME: home } },
  );
  return { code: done.status, stdout: done.stdout, stderr: done.stderr };
}

t.test('a directory the user may not write: the error says permission denied and names it', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'env-sync-eacces-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const cwd = path.join(root, 'work');
  const home = path.join(root, 'home');
  mkdirSync(cwd);
  chownSync(root, 65534, 65534);
  chownSync(cwd, 65534, 65534);
  const run = (args: readonly string[], input?: string) => runAsNobody(cwd, home, args, input);
  t.equal(run(['init', '--mode', 'dev-plaintext-http']).code, 0);
  t.equal(run(['set', 'KEEP'], 'kept-value').code, 0);
  const objects = path.join(cwd, '.env-sync/objects');
  const mode = statSync(objects).mode & 0o777;
  chmodSync(objects, 0o500);
  const refused = run(['set', 'NEW'], 'new-value');
  t.equal(refused.code, 1);
  t.match(
    refused.stderr,
    /^env-sync: permission denied \(EACCES\) during \w+ of '[^']*\.env-sync\/objects[^']*'\n$/,
  );
  t.notMatch(refused.stderr, /new-value/, 'the value is not in the error');
  t.equal(run(['get', 'KEEP']).stdout, 'kept-value\n', 'reading still works');
  t.equal(run(['get', 'NEW']).code, 1, 'the refused set committed nothing');
  chmodSync(objects, mode);
  t.equal(run(['set', 'NEW'], 'new-value').code, 0, 'with the permission back, the same set works');
  t.match(run(['fsck']).stdout, /^ok: /m);
});
