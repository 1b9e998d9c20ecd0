import { existsSync, promises as fsp, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
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

t.test('a held lock refuses the update at once and is never stolen', async (t) => {
  const repo = await makeStoreRepo(t);
  const c1 = await writeCommit(repo, [], 'c1');
  writeFileSync(path.join(repo.dir, 'refs/heads/main.lock'), '');
  await t.rejects(repo.refs.update('refs/heads/main', c1, BY_TEST), {
    code: 'E_REF_LOCKED',
    message: /^refs\/heads\/main is locked by another process/,
  });
  t.equal(await repo.refs.read('refs/heads/main'), null);
  t.equal(readFileSync(path.join(repo.dir, 'refs/heads/main.lock'), 'utf8'), '', 'the lock is left alone');
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
    // The write of the new content into the lock file fails (EIO): the one write whose data is `<id>\n`.
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
  },
);

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
