import { spawn } from 'node:child_process';
import {
  existsSync,
  promises as fsp,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { setNoticeSink } from '../../src/notices.ts';
import { LockFile } from '../../src/store/lockfile.ts';
import { readReflog } from '../../src/store/reflog.ts';
import { BY_TEST, makeStoreRepo, writeCommit } from './store-repo.ts';

t.test('update creates a ref, moves it with compare-and-swap and logs every move', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  const c2 = await writeCommit(repo, [c1], 'c2');
  await repo.refs.update('HEAD', c1, { ...BY_TEST, expected: null });
  t.equal(await repo.refs.read('refs/heads/main'), c1, 'HEAD updates the ref it points to');
  t.equal(readFileSync(path.join(repo.dir, 'refs/heads/main'), 'utf8'), `${c1}\n`);
  await repo.refs.update('refs/heads/main', c2, { peer: 'p2', reason: 'move', expected: c1 });
  t.equal(await repo.refs.read('HEAD'), c2);
  const log = await readReflog(path.join(repo.dir, 'logs'), 'refs/heads/main');
  t.match(log, [
    { old: null, new: c1, peer: 'peer-test', time: Number, reason: 'test' },
    { old: c1, new: c2, peer: 'p2', time: Number, reason: 'move' },
  ]);
  t.equal(log.length, 2);
});

t.test('a compare-and-swap mismatch changes nothing, not even the reflog', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  const c2 = await writeCommit(repo, [c1], 'c2');
  await repo.refs.update('refs/heads/main', c1, BY_TEST);
  const log = readFileSync(path.join(repo.dir, 'logs/refs/heads/main'));
  await t.rejects(repo.refs.update('refs/heads/main', c2, { ...BY_TEST, expected: c2 }), {
    code: 'E_REF_CONFLICT',
    message: `refs/heads/main is at ${c1.slice(0, 12)}, expected it to be at ${c2.slice(0, 12)}; nothing changed`,
  });
  await t.rejects(repo.refs.update('refs/heads/main', c2, { ...BY_TEST, expected: null }), {
    code: 'E_REF_CONFLICT',
    message: /expected it not to exist/,
  });
  await t.rejects(repo.refs.update('refs/heads/dev', c2, { ...BY_TEST, expected: c1 }), {
    code: 'E_REF_CONFLICT',
    message: /refs\/heads\/dev does not exist/,
  });
  t.equal(await repo.refs.read('refs/heads/main'), c1);
  t.same(readFileSync(path.join(repo.dir, 'logs/refs/heads/main')), log);
  t.equal(await repo.refs.read('refs/heads/dev'), null);
});

t.test('a lock held by a running process is waited for, then the update goes through', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  const lock = path.join(repo.dir, 'refs/heads/main.lock');
  writeFileSync(lock, holderLine(process.pid, hostname()));
  const released = setTimeout(() => rmSync(lock), 300);
  t.teardown(() => clearTimeout(released));
  const started = Date.now();
  await repo.refs.update('refs/heads/main', c1, BY_TEST);
  t.ok(Date.now() - started >= 250, 'it waited for the holder');
  t.equal(await repo.refs.read('refs/heads/main'), c1);
});

t.test(
  'a lock a running process keeps is never stolen: the update gives up, naming the holder',
  async (t) => {
    const repo = await makeStoreRepo(t);
    const c1 = await writeCommit(repo, [], 'c1');
    repo.config.set('core.lockTimeout', '1');
    const lock = path.join(repo.dir, 'refs/heads/main.lock');
    writeFileSync(lock, holderLine(process.pid, hostname()));
    const error = await repo.refs.update('refs/heads/main', c1, BY_TEST).catch((caught: Error) => caught);
    t.match(error, {
      code: 'E_REF_LOCKED',
      message: new RegExp(
        `^refs/heads/main is locked by env-sync process ${process.pid} since \\S+; gave up after 1 s$`,
      ),
    });
    t.notMatch((error as Error).message, /remove/, 'nobody is told to delete a live lock');
    t.equal(await repo.refs.read('refs/heads/main'), null);
    t.equal(readFileSync(lock, 'utf8'), holderLine(process.pid, hostname()), 'the lock is left alone');
  },
);

t.test('a lock whose process is gone is taken over with a notice', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  const gone = await exitedPid();
  writeFileSync(path.join(repo.dir, 'refs/heads/main.lock'), holderLine(gone, hostname()));
  const notices = collectNotices(t);
  await repo.refs.update('refs/heads/main', c1, BY_TEST);
  t.equal(await repo.refs.read('refs/heads/main'), c1);
  t.same(notices, [
    `took over the lock of refs/heads/main, left by process ${gone}, which is no longer running`,
  ]);
  t.notOk(existsSync(path.join(repo.dir, 'refs/heads/main.lock')));
});

t.test(
  'a lock that names no holder (no lock this version makes) is taken over only once it is old',
  async (t) => {
    const repo = await makeStoreRepo(t);
    const c1 = await writeCommit(repo, [], 'c1');
    repo.config.set('core.lockTimeout', '1');
    const lock = path.join(repo.dir, 'refs/heads/main.lock');
    writeFileSync(lock, '');
    await t.rejects(repo.refs.update('refs/heads/main', c1, BY_TEST), {
      code: 'E_REF_LOCKED',
      message: /locked by an env-sync process that is writing it/,
    });
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const notices = collectNotices(t);
    await repo.refs.update('refs/heads/main', c1, BY_TEST);
    t.equal(await repo.refs.read('refs/heads/main'), c1);
    t.same(notices, ['took over the lock of refs/heads/main, left by an interrupted write']);
  },
);

t.test('a lock of another host cannot be checked: the refusal says how to remove it', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  repo.config.set('core.lockTimeout', '0');
  writeFileSync(path.join(repo.dir, 'refs/heads/main.lock'), holderLine(1, 'other-host'));
  await t.rejects(repo.refs.update('refs/heads/main', c1, BY_TEST), {
    code: 'E_REF_LOCKED',
    message:
      /locked by env-sync process 1 on other-host since .*; if that process is gone, remove '.*main\.lock'$/,
  });
});

t.test('writers racing to take over one stale lock: exactly one update per writer, none lost', async (t) => {
  const repo = await makeStoreRepo(t);
  const base = await writeCommit(repo, [], 'base');
  await repo.refs.update('refs/heads/main', base, BY_TEST);
  writeFileSync(path.join(repo.dir, 'refs/heads/main.lock'), holderLine(await exitedPid(), hostname()));
  collectNotices(t);
  const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => writeCommit(repo, [base], `c${i}`)));
  // Each writer moves the ref from whatever it holds to its own commit, under the lock: 8 moves in the reflog.
  await Promise.all(ids.map((id) => repo.refs.update('refs/heads/main', id, BY_TEST)));
  const log = await readReflog(path.join(repo.dir, 'logs'), 'refs/heads/main');
  t.equal(log.length, 9);
  for (let i = 2; i < log.length; i++)
    t.equal(log[i]!.old, log[i - 1]!.new, 'each move starts where the last ended');
});

t.test('a reflog that cannot be written leaves the ref where it was and releases the lock', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  const c2 = await writeCommit(repo, [c1], 'c2');
  await repo.refs.update('refs/heads/main', c1, BY_TEST);
  // The new content is written beside the reflog line: it must not be put in place when the line fails.
  rmSync(path.join(repo.dir, 'logs/refs/heads/main'));
  mkdirSync(path.join(repo.dir, 'logs/refs/heads/main'));
  await t.rejects(repo.refs.update('refs/heads/main', c2, { ...BY_TEST, expected: c1 }), { code: 'EISDIR' });
  t.equal(await repo.refs.read('refs/heads/main'), c1, 'the ref did not move');
  t.notOk(existsSync(path.join(repo.dir, 'refs/heads/main.lock')), 'the lock is released');
  rmSync(path.join(repo.dir, 'logs/refs/heads/main'), { recursive: true });
  await repo.refs.update('refs/heads/main', c2, { ...BY_TEST, expected: c1 });
  t.equal(await repo.refs.read('refs/heads/main'), c2, 'the next update goes through');
});

t.test(
  'a lock file that cannot be written or put in place is removed, not left to block every update',
  async (t) => {
    const repo = await makeStoreRepo(t);
    const c1 = await writeCommit(repo, [], 'c1');
    const c2 = await writeCommit(repo, [c1], 'c2');
    await repo.refs.update('refs/heads/main', c1, BY_TEST);
    // The write of the new content into its temp file fails (EIO): the one write whose data is `<id>\n`.
    const probe = await fsp.open(path.join(repo.dir, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(probe) as { writeFile: (...args: unknown[]) => Promise<void> };
    await probe.close();
    const writeFile = prototype.writeFile;
    prototype.writeFile = function (this: unknown, data: unknown, ...rest: unknown[]) {
      if (data === `${c2}\n`)
        return Promise.reject(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }));
      return writeFile.call(this, data, ...rest);
    };
    try {
      await t.rejects(repo.refs.update('refs/heads/main', c2, { ...BY_TEST, expected: c1 }), { code: 'EIO' });
    } finally {
      prototype.writeFile = writeFile;
    }
    t.equal(await repo.refs.read('refs/heads/main'), c1, 'the ref did not move');
    t.notOk(existsSync(path.join(repo.dir, 'refs/heads/main.lock')), 'the lock file is gone');
    await repo.refs.update('refs/heads/main', c2, { ...BY_TEST, expected: c1 });
    t.equal(await repo.refs.read('refs/heads/main'), c2, 'the next update goes through');

    // The rename over the target fails (the target became a directory that is not empty).
    const target = path.join(repo.dir, 'refs/heads/other');
    const lock = await LockFile.acquire(target, 'refs/heads/other');
    await lock.write(`${c1}\n`);
    mkdirSync(path.join(target, 'inside'), { recursive: true });
    await t.rejects(lock.commit());
    await lock.release();
    t.notOk(existsSync(`${target}.lock`), 'released after a failed rename, the lock file is gone');
    t.same(
      readdirSync(path.join(repo.dir, 'refs/heads')).filter((name) => name.includes('.tmp-')),
      [],
      'and no temp file is left',
    );
  },
);

t.test('a lock taken over while its holder stalled is not committed through', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  const target = path.join(repo.dir, 'refs/heads/main');
  const lock = await LockFile.acquire(target, 'refs/heads/main');
  await lock.write(`${c1}\n`);
  writeFileSync(`${target}.lock`, holderLine(process.pid, 'other-host'));
  await t.rejects(lock.commit(), {
    code: 'E_REF_LOCKED',
    message: /was taken over by another process; nothing changed/,
  });
  t.equal(await repo.refs.read('refs/heads/main'), null, 'the ref did not move');
  t.equal(
    readFileSync(`${target}.lock`, 'utf8'),
    holderLine(process.pid, 'other-host'),
    "the other holder's lock stays",
  );
});

t.test('delete removes the ref under compare-and-swap and logs it', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  await repo.refs.update('refs/remotes/origin/main', c1, BY_TEST);
  await t.rejects(
    repo.refs.delete('refs/remotes/origin/main', { ...BY_TEST, expected: 'f'.repeat(64) as never }),
    {
      code: 'E_REF_CONFLICT',
    },
  );
  await repo.refs.delete('refs/remotes/origin/main', { ...BY_TEST, expected: c1 });
  t.equal(await repo.refs.read('refs/remotes/origin/main'), null);
  const log = await readReflog(path.join(repo.dir, 'logs'), 'refs/remotes/origin/main');
  t.same(log.at(-1), { ...log.at(-1), old: c1, new: null });
  await t.rejects(repo.refs.delete('refs/remotes/origin/main', BY_TEST), {
    code: 'E_REF_CONFLICT',
    message: 'refs/remotes/origin/main does not exist',
  });
});

t.test('invalid names and malformed ref files are refused', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  for (const name of ['../config', 'refs/../../x', 'refs/heads/a.lock', '/tmp/x']) {
    await t.rejects(repo.refs.update(name, c1, BY_TEST), { code: 'E_REF_NAME' }, name);
  }
  writeFileSync(path.join(repo.dir, 'refs/heads/main'), 'not an id\n');
  await t.rejects(repo.refs.read('refs/heads/main'), {
    code: 'E_REF_CORRUPT',
    message: 'ref refs/heads/main is malformed',
  });
  writeFileSync(path.join(repo.dir, 'HEAD'), 'refs/heads/main\n');
  await t.rejects(repo.refs.headTarget(), {
    code: 'E_REF_CORRUPT',
    message: /^HEAD is missing or malformed/,
  });
});

t.test('list returns refs sorted by name and skips lock files', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  for (const name of ['refs/heads/main', 'refs/heads/dev', 'refs/remotes/origin/main']) {
    await repo.refs.update(name, c1, BY_TEST);
  }
  writeFileSync(path.join(repo.dir, 'refs/heads/x.lock'), '');
  t.same(
    (await repo.refs.list()).map((ref) => ref.name),
    ['refs/heads/dev', 'refs/heads/main', 'refs/remotes/origin/main'],
  );
  t.same(
    (await repo.refs.list('refs/remotes/')).map((ref) => ref.name),
    ['refs/remotes/origin/main'],
  );
});

function holderLine(pid: number, host: string): string {
  return `env-sync lock pid=${pid} host=${host} started=1700000000 token=0123abcd\n`;
}

/** The pid of a process that has exited. */
function exitedPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0']);
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}

/** Notices given during the test, in order. */
function collectNotices(t: Test): string[] {
  const notices: string[] = [];
  setNoticeSink((text) => notices.push(text));
  t.teardown(() => setNoticeSink(() => {}));
  return notices;
}
