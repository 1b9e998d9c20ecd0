import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import t from 'tap';
import { plainSnapshot } from '../../src/store/objects.ts';
import { writePack } from '../../src/sync/pack-writer.ts';
import { makeStoreRepo } from '../store/store-repo.ts';

t.test('the second of two large, nearly equal snapshots costs little in a brotli pack', async (t) => {
  const repo = await makeStoreRepo(t);
  // About 1.5 MB each: the window reaches the first from the second.
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
  await writePack(repo, [first, second], output);
  const written = Buffer.concat(chunks);
  const headerEnd = 4 + written.readUInt32BE(0);
  const compressed = written.length - headerEnd;
  const raw = zlib.brotliDecompressSync(written.subarray(headerEnd));
  t.ok(raw.length > 2 * size, 'both snapshots are in the pack');
  // Alone, one snapshot compresses to about half its size (hex values); the second adds next to nothing.
  t.ok(compressed < 0.6 * size, `compressed ${compressed} bytes for two snapshots of ${size}`);
});
