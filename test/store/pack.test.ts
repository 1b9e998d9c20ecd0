import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { EnvSyncError } from '../../src/errors.ts';
import { fsck } from '../../src/store/fsck.ts';
import { ObjectDatabase } from '../../src/store/object-database.ts';
import { hashObjectBytes, type ObjectId } from '../../src/store/object-id.ts';
import { encodeObject, plainSnapshot, type StoredObject } from '../../src/store/objects.ts';
import { indexPack, verifyPack } from '../../src/store/pack-verify.ts';
import { openRepository, type Repository } from '../../src/store/repository.ts';
import { mutate, mutation } from './mutations.ts';
import { sampleCommit, validObject } from './sample-objects.ts';
import { BY_TEST, makeStoreRepo } from './store-repo.ts';

/** Writes `objects` as one pack (unpack limit 1), the way a fetch does; returns their ids. */
async function packObjects(objects: readonly StoredObject[], db: ObjectDatabase): Promise<ObjectId[]> {
  const batch = db.startBatch(objects.length, 1);
  const ids: ObjectId[] = [];
  for (const object of objects) {
    const bytes = encodeObject(object);
    const id = hashObjectBytes(bytes);
    await batch.add(id, bytes);
    ids.push(id);
  }
  await batch.finish();
  return ids;
}

function packFiles(repo: Repository): { name: string; pack: string; index: string } {
  const dir = repo.objects.packDir;
  const index = readdirSync(dir).find((name) => name.endsWith('.idx'))!;
  const name = index.slice(0, -'.idx'.length);
  return { name, pack: path.join(dir, `${name}.pack`), index: path.join(dir, index) };
}

function snapshots(count: number): StoredObject[] {
  return Array.from({ length: count }, (_, i) => plainSnapshot([['KEY', `value-${i}`]]));
}

t.test('objects written as a pack read back through the object database, as if loose', async (t) => {
  const repo = await makeStoreRepo(t);
  const loose = await repo.objects.write(plainSnapshot([['LOOSE', '1']]));
  const snaps = snapshots(150);
  const snapshot = hashObjectBytes(encodeObject(snaps[0]!));
  const objects = [...snaps, sampleCommit({ snapshot, parents: [], members: null })];
  const ids = await packObjects(objects, repo.objects);
  const { name, pack, index } = packFiles(repo);
  t.match(name, /^pack-[0-9a-f]{64}$/);
  t.equal(statSync(pack).mode & 0o777, 0o600);
  t.equal(statSync(index).mode & 0o777, 0o600);
  t.equal(statSync(repo.objects.packDir).mode & 0o777, 0o700);
  t.same(readdirSync(repo.objects.packDir).sort(), [`${name}.idx`, `${name}.pack`], 'no temp file is left');

  // A fresh process's view: the pack is found by scanning objects/pack/.
  const fresh = await openRepository(repo.workTree);
  const mismatched: ObjectId[] = [];
  for (const [i, id] of ids.entries()) {
    const bytes = Buffer.from(await fresh.objects.readRaw(id));
    if (!(await fresh.objects.has(id)) || !bytes.equals(encodeObject(objects[i]!))) mismatched.push(id);
  }
  t.same(mismatched, [], 'every packed object reads back with its exact bytes');
  t.same(await fresh.objects.read(ids[0]!), objects[0]);
  const listed: ObjectId[] = [];
  for await (const id of fresh.objects.list()) listed.push(id);
  t.same(listed.sort(), [...ids, loose].sort(), 'list gives loose and packed ids, each once');
  t.same(await fresh.objects.findByPrefix(ids[7]!.slice(0, 6)), [ids[7]], 'rev-parse prefixes see packs');
  t.same(await fresh.objects.findByPrefix(loose.slice(0, 5)), [loose]);

  const report = await fsck(fresh);
  t.same(report.problems, []);
  t.equal(report.objects, 152);
  t.equal(report.packedObjects, 151);
  t.equal(report.packs, 1);
});

t.test(
  'a pack larger than its sync interval is fsynced on the way, and dropped cleanly mid-way',
  async (t) => {
    const repo = await makeStoreRepo(t);
    // 600 snapshots of about 10 KB: about 6 MB, several syncs on the way (every 2 MiB written).
    const big = (i: number) =>
      plainSnapshot(
        Array.from({ length: 250 }, (_, k) => [
          `K${String(k).padStart(3, '0')}`,
          `${i}-${k}-${'v'.repeat(24)}`,
        ]),
      );
    const objects = Array.from({ length: 600 }, (_, i) => big(i));
    const ids = await packObjects(objects, repo.objects);
    const fresh = await openRepository(repo.workTree);
    t.same(await fresh.objects.read(ids[599]!), objects[599], 'the last object reads back');
    t.equal((await fsck(fresh)).ok, true);

    // Dropped while a sync may still be running: the temp file goes at once, nothing is left or thrown later.
    const batch = repo.objects.startBatch(600, 1);
    for (let i = 0; i < 400; i++) {
      const bytes = encodeObject(big(1000 + i));
      await batch.add(hashObjectBytes(bytes), bytes);
    }
    batch.abort();
    t.same(
      readdirSync(repo.objects.packDir).filter((name) => name.includes('.tmp-')),
      [],
      'no temp file is left',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    t.equal((await fsck(repo)).ok, true);
  },
);

t.test('a reader notices a pack written by another process after it started', async (t) => {
  const repo = await makeStoreRepo(t);
  const reader = await openRepository(repo.workTree);
  const [first] = await packObjects(snapshots(3), repo.objects);
  t.equal(await reader.objects.has(first!), true, 'the first pack is found');
  const [second] = await packObjects([plainSnapshot([['OTHER', 'x']])], repo.objects);
  t.equal(await reader.objects.has(second!), true, 'a pack that appeared later is found on a miss');
  t.same(await reader.objects.findByPrefix(second!.slice(0, 8)), [second]);
});

t.test(
  'fewer objects than the unpack limit are written loose; objects in a loaded pack or repeated are not packed again',
  async (t) => {
    const repo = await makeStoreRepo(t);
    const objects = snapshots(5);
    const batch = repo.objects.startBatch(objects.length, 100);
    for (const object of objects) {
      const bytes = encodeObject(object);
      await batch.add(hashObjectBytes(bytes), bytes);
    }
    await batch.finish();
    t.throws(() => readdirSync(repo.objects.packDir), { code: 'ENOENT' }, 'no pack directory');
    const [packedFirst] = await packObjects([plainSnapshot([['FIRST', '1']])], repo.objects);
    // Loose objects are not looked for (a stat per object): a pack may hold a copy of one, read loose first.
    const ids = await packObjects(
      [...objects, plainSnapshot([['NEW', '1']]), plainSnapshot([['FIRST', '1']]), objects[0]!],
      repo.objects,
    );
    const second = readdirSync(repo.objects.packDir).filter((name) => name.endsWith('.idx'));
    t.equal(second.length, 2);
    const counts = second.map((name) => readFileSync(path.join(repo.objects.packDir, name)).readUInt32BE(8));
    t.same(counts.sort(), [1, 6], "the held pack's object and the repeat were left out, the loose ones kept");
    t.equal(ids[6], packedFirst);
    t.equal(await repo.objects.has(ids[5]!), true);
    t.equal((await fsck(repo)).ok, true, 'fsck accepts an object both loose and packed');
    // A small batch that brings an object held in a pack neither copies it loose nor fails to sync it.
    const again = repo.objects.startBatch(1, 100);
    await again.add(ids[5]!, encodeObject(plainSnapshot([['NEW', '1']])));
    await again.finish();
    t.equal(existsSync(repo.objects.pathOf(ids[5]!)), false);
  },
);

t.test('any set of objects written as a pack reads back identically', async (t) => {
  const root = t.testdir();
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(validObject, { minLength: 1, maxLength: 30 }), async (objects) => {
      const dir = path.join(root, `run-${run++}`);
      mkdirSync(dir);
      const ids = await packObjects(objects, new ObjectDatabase(dir));
      const reader = new ObjectDatabase(dir);
      for (const [i, id] of ids.entries()) {
        if (
          Buffer.compare(Buffer.from(await reader.readRaw(id)), Buffer.from(encodeObject(objects[i]!))) !== 0
        )
          return false;
      }
      const listed = new Set<ObjectId>();
      for await (const id of reader.list()) listed.add(id);
      return listed.size === new Set(ids).size && ids.every((id) => listed.has(id));
    }),
    { numRuns: 60 },
  );
});

t.test(
  'any single mutation or truncation of a pack or its index is detected, never read as another object',
  async (t) => {
    const repo = await makeStoreRepo(t);
    const objects = [...snapshots(12), sampleCommit()];
    const ids = await packObjects(objects, repo.objects);
    const { name, pack, index } = packFiles(repo);
    const original = { pack: readFileSync(pack), index: readFileSync(index) };
    const root = t.testdir();
    let run = 0;
    const counts = { pack: 0, index: 0 };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('pack' as const, 'index' as const), mutation, async (which, m) => {
        counts[which]++;
        const objectsDir = path.join(root, `run-${run++}`);
        const packDir = path.join(objectsDir, 'pack');
        mkdirSync(packDir, { recursive: true });
        writeFileSync(
          path.join(packDir, `${name}.pack`),
          which === 'pack' ? mutate(original.pack, m) : original.pack,
        );
        writeFileSync(
          path.join(packDir, `${name}.idx`),
          which === 'index' ? mutate(original.index, m) : original.index,
        );
        // fsck's verification always notices, with one line naming the file.
        try {
          verifyPack(packDir, name, () => {});
          return false;
        } catch (error) {
          if (!(error instanceof EnvSyncError) || error.code !== 'E_PACK_CORRUPT') return false;
          if (error.message.includes('\n') || !error.message.includes(name)) return false;
        }
        // A reader either gets the exact bytes or a typed error; a mutated index is refused as a whole.
        const reader = new ObjectDatabase(objectsDir);
        for (const [i, id] of ids.entries()) {
          try {
            const bytes = await reader.readRaw(id);
            if (which === 'index') return false;
            if (Buffer.compare(Buffer.from(bytes), Buffer.from(encodeObject(objects[i]!))) !== 0)
              return false;
          } catch (error) {
            if (
              !(error instanceof EnvSyncError) ||
              !['E_PACK_CORRUPT', 'E_OBJECT_CORRUPT'].includes(error.code)
            )
              return false;
            if (error.message.includes('\n')) return false;
          }
        }
        return true;
      }),
      { numRuns: 400 },
    );
    t.ok(
      counts.pack > 100 && counts.index > 100,
      `both files were mutated (${counts.pack}, ${counts.index})`,
    );
  },
);

/** Rewrites the index's own checksum, so that only the deliberate defect remains. */
function withChecksum(index: Buffer): Buffer {
  const fixed = Buffer.from(index);
  createHash('sha256')
    .update(fixed.subarray(0, fixed.length - 32))
    .digest()
    .copy(fixed, fixed.length - 32);
  return fixed;
}

t.test('a damaged pack or index gives one line naming the file and the defect', async (t) => {
  const repo = await makeStoreRepo(t);
  const ids = await packObjects(snapshots(3), repo.objects);
  const { name, pack, index } = packFiles(repo);
  const original = { pack: readFileSync(pack), index: readFileSync(index) };
  const count = 3;
  const offsetsAt = 12 + 32 * count;
  const cases: [string, { pack?: Buffer | null; index?: Buffer }, RegExp][] = [
    [
      'truncated index',
      { index: original.index.subarray(0, 40) },
      /\.idx is corrupt: truncated \(40 bytes\)$/,
    ],
    [
      'index with a trailing byte',
      { index: Buffer.concat([original.index, Buffer.from([0])]) },
      /\.idx is corrupt: 197 bytes where 3 objects take 196$/,
    ],
    [
      'index claiming too many objects',
      { index: withChecksum(Buffer.from(original.index).fill(0xff, 8, 12)) },
      /\.idx is corrupt: claims 4294967295 objects$/,
    ],
    [
      'wrong index checksum',
      { index: Buffer.from(original.index).fill(0, 20, 21) },
      /\.idx is corrupt: checksum mismatch$/,
    ],
    [
      'not an index',
      { index: withChecksum(Buffer.from(original.index).fill(0x41, 0, 4)) },
      /\.idx is corrupt: not an env-sync pack index$/,
    ],
    [
      'ids out of order',
      {
        index: withChecksum(
          Buffer.concat([
            original.index.subarray(0, 12),
            original.index.subarray(44, 76),
            original.index.subarray(12, 44),
            original.index.subarray(76),
          ]),
        ),
      },
      /\.idx is corrupt: ids out of order at entry 1$/,
    ],
    [
      'an offset past the end of the pack',
      { index: withChecksum(Buffer.from(original.index).fill(0x7f, offsetsAt + 4, offsetsAt + 8)) },
      /\.idx is corrupt: offset of entry 0 is outside the pack$/,
    ],
    [
      'truncated pack',
      { pack: original.pack.subarray(0, original.pack.length - 1) },
      /\.pack is corrupt: its last 32 bytes are not the checksum its name gives \(truncated or damaged\)$/,
    ],
    [
      'pack with a flipped trailer',
      { pack: Buffer.from(original.pack).fill(0xee, original.pack.length - 1) },
      /\.pack is corrupt: its last 32 bytes are not the checksum its name gives \(truncated or damaged\)$/,
    ],
    [
      'index of another pack',
      {
        index: withChecksum(
          Buffer.from(original.index).fill(0, offsetsAt + 8 * count, offsetsAt + 8 * count + 1),
        ),
      },
      /\.idx is corrupt: it does not match its pack$/,
    ],
    [
      'pack with another header',
      { pack: Buffer.from(original.pack).fill(0, 0, 4) },
      /\.pack is corrupt: not an env-sync pack$/,
    ],
    ['missing pack', { pack: null }, /\.idx is corrupt: its pack file is missing$/],
  ];
  for (const [label, damage, message] of cases) {
    writeFileSync(pack, original.pack);
    writeFileSync(index, damage.index ?? original.index);
    if (damage.pack === null) rmSync(pack);
    else if (damage.pack !== undefined) writeFileSync(pack, damage.pack);
    const reader = new ObjectDatabase(path.join(repo.dir, 'objects'));
    await t.rejects(reader.readRaw(ids[0]!), { code: 'E_PACK_CORRUPT', message }, label);
    t.match(
      (await reader.readRaw(ids[0]!).catch((e: Error) => e)) as Error,
      { message: new RegExp(name) },
      `${label}: names the file`,
    );
    const report = await fsck(await openRepository(repo.workTree));
    t.equal(report.ok, false, `${label}: fsck fails`);
  }
});

t.test(
  'fsck: a pack that refs need and that lost its index is an error that names index-pack, which rebuilds it',
  async (t) => {
    const repo = await makeStoreRepo(t);
    const ids = await packObjects(snapshots(2), repo.objects);
    const commit = await repo.objects.write({
      type: 'commit',
      snapshot: ids[0]!,
      parents: [],
      author: 'peer-test',
      time: 1_700_000_000,
      message: 'c',
      members: null,
      signature: new Uint8Array(0),
    });
    await repo.refs.update('refs/heads/main', commit, BY_TEST);
    const { name, index } = packFiles(repo);
    const indexBytes = readFileSync(index);
    rmSync(index);
    let report = await fsck(await openRepository(repo.workTree));
    t.equal(report.ok, false);
    t.match(report.problems, [
      { severity: 'error', subject: /^commit / },
      {
        severity: 'error',
        subject: `.env-sync/objects/pack/${name}.pack`,
        message: `pack without an index holds objects that refs need; do not delete it: rebuild its index with 'env-sync index-pack .env-sync/objects/pack/${name}.pack'`,
      },
    ]);
    t.equal(await indexPack(repo.objects.packDir, name), 2);
    t.same(readFileSync(index), indexBytes, 'the rebuilt index is the one that was lost');
    report = await fsck(await openRepository(repo.workTree));
    t.same(report.problems, []);
  },
);

t.test('fsck: a pack without its index is a note, an index without its pack an error', async (t) => {
  const repo = await makeStoreRepo(t);
  await packObjects(snapshots(2), repo.objects);
  const { name, pack, index } = packFiles(repo);
  const indexBytes = readFileSync(index);
  rmSync(index);
  let report = await fsck(await openRepository(repo.workTree));
  t.same(report.problems, [
    {
      severity: 'note',
      subject: `.env-sync/objects/pack/${name}.pack`,
      message: 'pack without an index: leftover of an interrupted fetch (safe to delete)',
    },
  ]);
  t.equal(report.ok, true);
  writeFileSync(index, indexBytes, { mode: 0o600 });
  rmSync(pack);
  report = await fsck(await openRepository(repo.workTree));
  t.equal(report.ok, false);
  t.match(report.problems, [
    { severity: 'error', subject: `.env-sync/objects/pack/${name}.idx`, message: /its objects are missing/ },
  ]);
});

t.test('fsck finds a packed object that is not canonical and still counts the valid ones', async (t) => {
  const repo = await makeStoreRepo(t);
  const junk = Buffer.from([0x91, 0xcd, 0x00, 0x01]); // [uint16 1]: valid msgpack, not canonical
  const batch = repo.objects.startBatch(2, 1);
  await batch.add(hashObjectBytes(junk), junk);
  const fine = encodeObject(plainSnapshot([['A', '1']]));
  await batch.add(hashObjectBytes(fine), fine);
  await batch.finish();
  const report = await fsck(await openRepository(repo.workTree));
  t.equal(report.ok, false);
  t.match(report.problems, [
    {
      severity: 'error',
      subject: `object ${hashObjectBytes(junk).slice(0, 12)}`,
      message: /not canonical|data model/,
    },
  ]);
  t.equal(report.packedObjects, 1, 'the valid object is counted');
});
