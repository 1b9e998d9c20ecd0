import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { encodeCanonical } from '../../src/store/encoding.ts';
import { hashObjectBytes, type ObjectId } from '../../src/store/object-id.ts';
import { encodeObject, plainSnapshot } from '../../src/store/objects.ts';
import { openRepository, type Repository } from '../../src/store/repository.ts';
import { type CliRepo, expectRefused, makeCliRepo } from '../store/cli-repo.ts';
import { snapshotTree } from '../store/tree-snapshot.ts';

const home = path.join(t.testdir(), 'home');

interface Fixture {
  readonly repo: CliRepo;
  readonly snapshot: ObjectId;
  readonly commit: ObjectId;
  file(id: ObjectId): string;
}

/** A repository with a snapshot, a commit on it and refs/heads/main at the commit; fsck passes. */
async function fixture(t: Test): Promise<Fixture> {
  const repo = await makeCliRepo(t, home);
  const store = await openRepository(repo.cwd);
  const snapshot = await store.objects.write(plainSnapshot([['KEY', 'value']]));
  const commit = await commitOn(store, snapshot);
  return { repo, snapshot, commit, file: (id) => store.objects.pathOf(id) };
}

/** Writes a root commit of `snapshot` and points refs/heads/main at it. */
async function commitOn(store: Repository, snapshot: ObjectId): Promise<ObjectId> {
  const commit = await store.objects.write({
    type: 'commit',
    snapshot,
    parents: [],
    author: 'p',
    time: 1_700_000_000,
    message: 'm',
    members: null,
    signature: new Uint8Array(0),
  });
  await store.refs.update('refs/heads/main', commit, { peer: 'p', reason: 'test' });
  return commit;
}

/** Runs fsck: exit 1, every problem on its own `error: <subject>: <message>` line, nothing changed on disk. */
async function expectProblems(t: Test, repo: CliRepo, expected: RegExp[]): Promise<void> {
  const before = snapshotTree(repo.cwd);
  const result = await repo.run(['fsck']);
  t.equal(result.code, 1, 'fsck exits 1');
  t.equal(result.stderr, '');
  const errors = result.stdout.split('\n').filter((line) => line.startsWith('error: '));
  t.ok(errors.length >= expected.length, `at least ${expected.length} problem lines:\n${result.stdout}`);
  for (const line of errors) t.match(line, /^error: [^:\n]+: [^\n]+$/, 'one line per problem');
  for (const pattern of expected)
    t.ok(
      errors.some((line) => pattern.test(line)),
      `reports ${pattern}`,
    );
  t.same(snapshotTree(repo.cwd), before, 'fsck changes nothing');
}

t.test('fsck passes on a healthy repository and reports counts, as text and JSON', async (t) => {
  const { repo } = await fixture(t);
  t.equal(await repo.ok(t, ['fsck']), 'ok: 2 objects, 1 refs\n');
  const report = JSON.parse(await repo.ok(t, ['fsck', '--json']));
  t.same(report, { ok: true, objects: 2, packedObjects: 0, packs: 0, refs: 1, problems: [] });
});

t.test('fsck names an object with a flipped byte', async (t) => {
  const { repo, snapshot, file } = await fixture(t);
  const bytes = readFileSync(file(snapshot));
  bytes[bytes.length - 1]! ^= 0x01;
  writeFileSync(file(snapshot), bytes);
  const short = snapshot.slice(0, 12);
  await expectProblems(t, repo, [
    new RegExp(`^error: object ${short}: object ${short} is corrupt: its bytes hash to [0-9a-f]{12}$`),
    new RegExp(`^error: commit [0-9a-f]{12}: points to missing or corrupt object ${short}$`),
  ]);
  const json = JSON.parse((await repo.run(['fsck', '--json'])).stdout);
  t.equal(json.ok, false);
  t.match(json.problems, [{ severity: 'error', subject: `object ${short}` }]);
});

t.test('fsck names a truncated object', async (t) => {
  const { repo, commit, file } = await fixture(t);
  truncateSync(file(commit), 10);
  await expectProblems(t, repo, [
    new RegExp(`^error: object ${commit.slice(0, 12)}: object ${commit.slice(0, 12)} is corrupt`),
    new RegExp(`^error: ref refs/heads/main: points to missing or corrupt object ${commit.slice(0, 12)}$`),
  ]);
});

t.test('fsck names a renamed object file', async (t) => {
  const { repo, snapshot, file } = await fixture(t);
  const wrong = `${snapshot.slice(0, -1)}${snapshot.endsWith('0') ? '1' : '0'}` as ObjectId;
  renameSync(file(snapshot), file(wrong));
  await expectProblems(t, repo, [
    new RegExp(
      `^error: object ${wrong.slice(0, 12)}: object ${wrong.slice(0, 12)} is corrupt: its bytes hash to ${snapshot.slice(0, 12)}$`,
    ),
    /points to missing or corrupt object/,
  ]);
});

t.test('fsck names a dangling ref', async (t) => {
  const { repo } = await fixture(t);
  writeFileSync(path.join(repo.dir, 'refs/heads/dev'), `${'d'.repeat(64)}\n`, { mode: 0o600 });
  await expectProblems(t, repo, [
    /^error: ref refs\/heads\/dev: points to missing or corrupt object dddddddddddd$/,
  ]);
});

t.test('fsck names a ref to an object of the wrong type', async (t) => {
  const { repo, snapshot } = await fixture(t);
  writeFileSync(path.join(repo.dir, 'refs/heads/dev'), `${snapshot}\n`, { mode: 0o600 });
  await expectProblems(t, repo, [
    new RegExp(
      `^error: ref refs/heads/dev: points to ${snapshot.slice(0, 12)}, a snapshot, expected a commit$`,
    ),
  ]);
});

t.test('fsck names a malformed ref file', async (t) => {
  const { repo } = await fixture(t);
  writeFileSync(path.join(repo.dir, 'refs/heads/main'), 'ref: nonsense\n');
  await expectProblems(t, repo, [/^error: refs: ref refs\/heads\/main is malformed$/]);
});

t.test('fsck names non-canonical bytes written directly into the store', async (t) => {
  const { repo } = await fixture(t);
  // A valid snapshot whose outer array has a 16-bit length: decodes, but is not the canonical encoding.
  const canonical = Buffer.from(encodeCanonical(['snapshot', 1, 'plain', [['K', 'v']]]));
  const bytes = Buffer.concat([Buffer.from([0xdc, 0x00, 0x04]), canonical.subarray(1)]);
  const id = hashObjectBytes(bytes);
  const dir = path.join(repo.dir, 'objects', id.slice(0, 2));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, id.slice(2)), bytes, { mode: 0o600 });
  await expectProblems(t, repo, [
    new RegExp(
      `^error: object ${id.slice(0, 12)}: object ${id.slice(0, 12)}: encoding is not canonical msgpack$`,
    ),
  ]);
});

t.test('fsck names files and directories whose permissions are too open', async (t) => {
  const { repo, snapshot, file } = await fixture(t);
  chmodSync(file(snapshot), 0o644);
  chmodSync(path.join(repo.dir, 'refs'), 0o755);
  await expectProblems(t, repo, [
    new RegExp(
      `^error: \\.env-sync/objects/${snapshot.slice(0, 2)}/${snapshot.slice(2)}: file mode 0644 is too open; want 0600$`,
    ),
    /^error: \.env-sync\/refs: directory mode 0755 is too open; want 0700$/,
  ]);
});

t.test('fsck notes leftovers of interrupted writes without failing', async (t) => {
  const { repo } = await fixture(t);
  const lock = path.join(repo.dir, 'refs/heads/main.lock');
  writeFileSync(
    lock,
    `env-sync lock pid=${process.pid} host=${hostname()} started=1700000000 token=0123abcd\n`,
    {
      mode: 0o600,
    },
  );
  writeFileSync(path.join(repo.dir, 'objects/ab.tmp-0123abcd'), '', { mode: 0o600 });
  let result = await repo.run(['fsck']);
  t.equal(result.code, 0);
  t.match(
    result.stdout,
    new RegExp(
      `^note: \\.env-sync/refs/heads/main\\.lock: lock held by env-sync process ${process.pid} since 2023-11-14T22:13:20Z$`,
      'm',
    ),
  );
  writeFileSync(lock, '', { mode: 0o600 });
  utimesSync(lock, new Date(0), new Date(0));
  result = await repo.run(['fsck']);
  t.match(
    result.stdout,
    /^note: \.env-sync\/refs\/heads\/main\.lock: stale lock, left by an interrupted write; the next update takes it over$/m,
  );
  t.match(
    result.stdout,
    /^note: \.env-sync\/objects\/ab\.tmp-0123abcd: leftover of an interrupted write \(safe to delete\)$/m,
  );
  t.match(result.stdout, /^ok: 2 objects, 1 refs$/m);
});

t.test(
  'index-pack rebuilds the lost index of a pack that refs need, and refuses a file outside objects/pack',
  async (t) => {
    const repo = await makeCliRepo(t, home);
    const store = await openRepository(repo.cwd);
    const bytes = encodeObject(plainSnapshot([['KEY', 'packed']]));
    const snapshot = hashObjectBytes(bytes);
    const batch = store.objects.startBatch(1, 1);
    await batch.add(snapshot, bytes);
    await batch.finish();
    await commitOn(store, snapshot);
    const [packName] = readdirSync(store.objects.packDir).filter((name) => name.endsWith('.pack'));
    const packFile = `.env-sync/objects/pack/${packName}`;
    rmSync(path.join(store.objects.packDir, packName!.replace(/\.pack$/, '.idx')));
    const damaged = await repo.run(['fsck']);
    t.equal(damaged.code, 1);
    t.match(
      damaged.stdout,
      `error: ${packFile}: pack without an index holds objects that refs need; do not delete it: rebuild its index with 'env-sync index-pack ${packFile}'`,
    );
    t.equal(await repo.ok(t, ['index-pack', packFile]), 'indexed 1 objects\n');
    t.match(await repo.ok(t, ['fsck']), /^ok: 2 objects \(1 in 1 pack\), 1 refs$/m);
    await expectRefused(t, repo, ['index-pack', 'elsewhere.pack'], {
      exitCode: 2,
      message: /^env-sync: elsewhere\.pack: not a pack file of this repository/,
    });
  },
);
