// A disk error in the fsync a pack builder starts on the way (every 2 MiB written) must fail the pack: on
// Linux a later fsync of the same file can report success after the data was lost. The error is injected
// into node:fs's fsync (the only way to make a real disk return EIO on demand).

import { createHash } from 'node:crypto';
import * as realFs from 'node:fs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { ObjectId } from '../../src/store/object-id.ts';

t.test('a failed fsync on the way fails finish, and nothing is renamed into place', async (t) => {
  let calls = 0;
  const fsync = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    calls++;
    if (calls === 1) {
      setImmediate(() => callback(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })));
      return;
    }
    realFs.fsync(fd, callback);
  };
  const { PackBuilder } = await t.mockImport<typeof import('../../src/store/pack-builder.ts')>(
    '../../src/store/pack-builder.ts',
    { 'node:fs': { ...realFs, fsync } },
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'env-sync-pack-fsync-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const builder = new PackBuilder(dir);
  // About 6 MB: past the 2 MiB after which an fsync starts on the way; each write lets it settle first.
  for (let i = 0; i < 100; i++) {
    const bytes = Buffer.alloc(64 * 1024, i);
    builder.add(createHash('sha256').update(bytes).update(String(i)).digest('hex') as ObjectId, bytes);
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.ok(calls >= 1, 'an fsync ran on the way');
  await t.rejects(builder.finish(), { code: 'EIO' }, 'finish reports the failed fsync');
  t.same(readdirSync(dir), [], 'no pack, no index, no temporary file is left');
});
