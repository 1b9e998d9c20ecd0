import { chmodSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { MAX_OBJECT_BYTES } from '../../src/store/limits.ts';
import { hashObjectBytes, type ObjectId } from '../../src/store/object-id.ts';
import { encodeObject, plainSnapshot } from '../../src/store/objects.ts';
import type { Repository } from '../../src/store/repository.ts';
import { sampleCommit, sampleEvent } from './sample-objects.ts';
import { makeStoreRepo } from './store-repo.ts';

async function listIds(repo: Repository): Promise<ObjectId[]> {
  const ids: ObjectId[] = [];
  for await (const id of repo.objects.list()) ids.push(id);
  return ids;
}

t.test(
  'an object is stored at objects/<2 hex>/<62 hex>, mode 0600, named by the SHA-256 of its bytes',
  async (t) => {
    const repo = await makeStoreRepo(t);
    const object = plainSnapshot([['A', '1']]);
    const id = await repo.objects.write(object);
    const file = path.join(repo.dir, 'objects', id.slice(0, 2), id.slice(2));
    t.equal(repo.objects.pathOf(id), file);
    t.same(readFileSync(file), Buffer.from(encodeObject(object)));
    t.equal(hashObjectBytes(readFileSync(file)), id);
    t.equal(statSync(file).mode & 0o777, 0o600);
    t.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    t.equal(await repo.objects.write(object), id, 'writing it again is a no-op with the same id');
    t.same(await repo.objects.read(id), object);
    t.same(await listIds(repo), [id]);
  },
);

t.test('every read verifies the hash; a wrong type is refused by readTyped', async (t) => {
  const repo = await makeStoreRepo(t);
  const id = await repo.objects.write(plainSnapshot([['A', '1']]));
  await t.rejects(repo.objects.readTyped(id, 'commit'), {
    code: 'E_OBJECT_TYPE',
    message: `object ${id.slice(0, 12)} is a snapshot, expected a commit`,
  });
  const file = repo.objects.pathOf(id);
  chmodSync(file, 0o600);
  const bytes = readFileSync(file);
  bytes[bytes.length - 1]! ^= 1;
  writeFileSync(file, bytes);
  await t.rejects(repo.objects.read(id), {
    code: 'E_OBJECT_CORRUPT',
    message: new RegExp(`^object ${id.slice(0, 12)} is corrupt: its bytes hash to [0-9a-f]{12}$`),
  });
  const missing = 'e'.repeat(64) as ObjectId;
  await t.rejects(repo.objects.read(missing), {
    code: 'E_OBJECT_MISSING',
    message: 'object eeeeeeeeeeee is missing',
  });
});

t.test('an oversized object is refused on write and on read without being read', async (t) => {
  const repo = await makeStoreRepo(t);
  const big = Buffer.alloc(MAX_OBJECT_BYTES + 1);
  await t.rejects(repo.objects.writeRaw(big), { code: 'E_OBJECT_TOO_LARGE' });
  t.same(await listIds(repo), [], 'nothing was stored');
  // A sparse file larger than the limit at an object's path: refused by its size alone.
  const id = await repo.objects.write(plainSnapshot([['A', '1']]));
  truncateSync(repo.objects.pathOf(id), MAX_OBJECT_BYTES + 1);
  await t.rejects(repo.objects.readRaw(id), {
    code: 'E_OBJECT_TOO_LARGE',
    message: `object ${id.slice(0, 12)}: ${MAX_OBJECT_BYTES + 1} bytes exceeds the limit`,
  });
});

t.test('writeRaw stores only valid, canonical bytes that match the expected id', async (t) => {
  const repo = await makeStoreRepo(t);
  const bytes = encodeObject(sampleCommit());
  const id = hashObjectBytes(bytes);
  await t.rejects(repo.objects.writeRaw(bytes, 'f'.repeat(64) as ObjectId), {
    code: 'E_OBJECT_CORRUPT',
    message: /^object ffffffffffff: bytes hash to /,
  });
  const nonCanonical = Buffer.concat([Buffer.from([0xdc, 0x00, 0x08]), Buffer.from(bytes).subarray(1)]);
  await t.rejects(repo.objects.writeRaw(nonCanonical), { code: 'E_NON_CANONICAL' });
  await t.rejects(repo.objects.writeRaw(Buffer.from([0x92, 0xa1, 0x78, 0x01])), { code: 'E_OBJECT_CORRUPT' });
  t.same(await listIds(repo), [], 'nothing was stored');
  t.equal((await repo.objects.writeRaw(bytes, id)).id, id);
  t.same(await listIds(repo), [id]);
});

t.test(
  'a batch written without fsync becomes durable through syncObjects, with the same files',
  async (t) => {
    const repo = await makeStoreRepo(t);
    const objects = [
      sampleEvent(),
      sampleCommit(),
      ...Array.from({ length: 20 }, (_, i) => plainSnapshot([['K', `${i}`]])),
    ];
    const ids = [];
    for (const object of objects) ids.push(await repo.objects.write(object, { durable: false }));
    await repo.objects.syncObjects(ids);
    for (const [i, id] of ids.entries()) {
      t.same(readFileSync(repo.objects.pathOf(id)), Buffer.from(encodeObject(objects[i]!)));
      t.equal(statSync(repo.objects.pathOf(id)).mode & 0o777, 0o600);
    }
    t.equal((await listIds(repo)).length, objects.length);
  },
);

t.test('findByPrefix and list ignore stray files', async (t) => {
  const repo = await makeStoreRepo(t);
  const id = await repo.objects.write(plainSnapshot([['A', '1']]));
  writeFileSync(`${repo.objects.pathOf(id)}.tmp-0123`, 'x');
  writeFileSync(path.join(repo.dir, 'objects', 'README'), 'x');
  t.same(await repo.objects.findByPrefix(id.slice(0, 4)), [id]);
  t.same(await listIds(repo), [id]);
  renameSync(repo.objects.pathOf(id), path.join(path.dirname(repo.objects.pathOf(id)), 'f'.repeat(62)));
  t.same(await repo.objects.findByPrefix(id.slice(0, 4)), []);
});
