import fc from 'fast-check';
import t from 'tap';
import { encodeFrame, type Frame, FrameReader } from '../../src/sync/frames.ts';
import { DEFAULT_SYNC_LIMITS } from '../../src/sync/limits.ts';

// FrameReader reads frames however the stream cuts them: a header or a body split across chunks, many frames
// in one chunk.

async function* chunks(bytes: Buffer, cuts: readonly number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut > at && cut < bytes.length) {
      yield bytes.subarray(at, cut);
      at = cut;
    }
  }
  if (at < bytes.length) yield bytes.subarray(at);
}

t.test('frames read back the same however the stream is cut', async (t) => {
  const frame = fc.oneof(
    fc.record({
      id: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      data: fc.uint8Array({ maxLength: 300 }),
    }),
    fc.record({ type: fc.constantFrom('pack', 'done'), objects: fc.nat(1000) }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(frame, { maxLength: 12 }),
      fc.array(fc.nat(4000), { maxLength: 20 }),
      async (frames, cuts) => {
        const bytes = Buffer.concat(
          frames.map((f) => encodeFrame('id' in f ? { type: 'object', id: f.id, data: f.data } : f)),
        );
        const reader = new FrameReader(chunks(bytes, cuts), DEFAULT_SYNC_LIMITS, 'peer');
        const read: Frame[] = [];
        for (let next = await reader.next(); next !== null; next = await reader.next()) read.push(next);
        const expected = frames.map((f) =>
          'id' in f ? { type: 'object', id: Buffer.from(f.id), data: Buffer.from(f.data) } : f,
        );
        t.same(
          read.map((f) => (f.type === 'object' ? { ...f, id: Buffer.from(f.id as Uint8Array) } : f)),
          expected,
        );
      },
    ),
    { numRuns: 200 },
  );
});

t.test('an oversized or cut frame is an error, whole or in pieces', async (t) => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(DEFAULT_SYNC_LIMITS.maxFrameBytes + 1);
  const oversized = new FrameReader(
    chunks(Buffer.concat([header, Buffer.alloc(10)]), [2]),
    DEFAULT_SYNC_LIMITS,
    'peer',
  );
  await t.rejects(oversized.next(), { code: 'E_PROTOCOL', message: /sync.maxFrameBytes/ });
  const whole = new FrameReader(
    chunks(Buffer.concat([header, Buffer.alloc(10)]), []),
    DEFAULT_SYNC_LIMITS,
    'peer',
  );
  await t.rejects(whole.next(), { message: /sync.maxFrameBytes/ });
  const cut = encodeFrame({ type: 'done', objects: 1 }).subarray(0, 7);
  const reader = new FrameReader(chunks(cut, [3]), DEFAULT_SYNC_LIMITS, 'peer');
  await t.rejects(reader.next(), { code: 'E_PROTOCOL', message: /in the middle of a frame/ });
});
