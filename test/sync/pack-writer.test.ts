import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import { unpack } from 'msgpackr';
import t from 'tap';
import type { ObjectId } from '../../src/store/object-id.ts';
import { plainSnapshot } from '../../src/store/objects.ts';
import { brotliWindowBits } from '../../src/sync/compression.ts';
import { writePack } from '../../src/sync/pack-writer.ts';
import { makeStoreRepo } from '../store/store-repo.ts';

t.test("brotli's window is 1 MiB for small objects and grows with the largest object", async (t) => {
  t.equal(brotliWindowBits(0), 20);
  t.equal(brotliWindowBits(9_000), 20, 'a 200-key snapshot');
  t.equal(brotliWindowBits(256 * 1024), 20);
  t.equal(brotliWindowBits(256 * 1024 + 1), 21);
  t.equal(brotliWindowBits(1024 * 1024), 22);
  t.equal(brotliWindowBits(32 * 1024 * 1024), 24, 'never past brotli’s largest window');
});

t.test('the second of two large, nearly equal snapshots costs little in a brotli pack', async (t) => {
  const repo = await makeStoreRepo(t);
  // About 1.5 MB each: beyond a 1 MiB window, so the window must grow to reach the first from the second.
  const entries = Array.from(
    { length: 30_000 },
    (_, i) => [`KEY_${String(i).padStart(5, '0')}`, randomBytes(16).toString('hex')] as [string, string],
  );
  const first = await repo.objects.write(plainSnapshot(entries), { durable: false });
  entries[15_000]![1] = 'changed';
  const second = await repo.objects.write(plainSnapshot(entries), { durable: false });
  const size = (await repo.objects.readRaw(first)).length;
  t.ok(size > 1024 * 1024, `a snapshot of ${size} bytes`);

  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  await writePack(repo, [first, second], output, 'brotli');
  const written = Buffer.concat(chunks);
  const headerEnd = 4 + written.readUInt32BE(0);
  const compressed = written.length - headerEnd;
  const raw = zlib.brotliDecompressSync(written.subarray(headerEnd));
  t.ok(raw.length > 2 * size, 'both snapshots are in the pack');
  // Alone, one snapshot compresses to about half its size (hex values); the second adds next to nothing.
  t.ok(compressed < 0.6 * size, `compressed ${compressed} bytes for two snapshots of ${size}`);
});

t.test(
  'a snapshot is sent as a delta against the one before it only to a receiver that reads them',
  async (t) => {
    const repo = await makeStoreRepo(t);
    const entries = Array.from({ length: 100 }, (_, i) => [`KEY_${i}`, `value-${i}`] as [string, string]);
    const ids: ObjectId[] = [];
    for (let i = 0; i < 5; i++) {
      entries[i * 10]![1] = `changed-${i}`;
      ids.push(await repo.objects.write(plainSnapshot(entries), { durable: false }));
    }
    const frameTypes = async (deltaFrames: boolean) => {
      const output = new PassThrough();
      const chunks: Buffer[] = [];
      output.on('data', (chunk: Buffer) => chunks.push(chunk));
      await writePack(repo, ids, output, 'none', { deltaFrames });
      const written = Buffer.concat(chunks);
      const types: string[] = [];
      for (let at = 0; at < written.length; at += 4 + written.readUInt32BE(at)) {
        types.push(
          (unpack(written.subarray(at + 4, at + 4 + written.readUInt32BE(at))) as { type: string }).type,
        );
      }
      return types;
    };
    t.same(await frameTypes(true), ['pack', 'object', 'delta', 'delta', 'delta', 'delta', 'done']);
    t.same(await frameTypes(false), ['pack', 'object', 'object', 'object', 'object', 'object', 'done']);
  },
);
