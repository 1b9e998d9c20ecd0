import fc from 'fast-check';
import t from 'tap';
import { encodeFrame, type Frame, FrameReader, objectFrameHeader } from '../../src/sync/frames.ts';
import { DEFAULT_SYNC_LIMITS } from '../../src/sync/limits.ts';

// FrameReader reads frames however the stream cuts them: a header or a body split across chunks, many frames
// in one chunk; `nextBuffered` gives a frame only when all of it is buffered, and `next` the rest.

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

function objectFrame(id: Uint8Array, data: Uint8Array): Buffer {
  return Buffer.concat([objectFrameHeader(id, data.length), data]);
}

t.test('frames read back the same however the stream is cut, buffered or awaited', async (t) => {
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
      fc.boolean(),
      async (frames, cuts, buffered) => {
        const bytes = Buffer.concat(
          frames.map((f) => ('id' in f ? objectFrame(f.id, f.data) : encodeFrame(f as Frame))),
        );
        const reader = new FrameReader(chunks(bytes, cuts), DEFAULT_SYNC_LIMITS, 'peer');
        const read: Frame[] = [];
        for (;;) {
          const next = (buffered ? reader.nextBuffered() : undefined) ?? (await reader.next());
          if (next === null) break;
          read.push(next);
        }
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

t.test('a delta frame read in place is what msgpack decodes, whatever its integers', async (t) => {
  const delta = fc.record({
    type: fc.constant('delta'),
    id: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    head: fc.oneof(fc.nat(200), fc.nat(70_000), fc.nat(2 ** 32 - 1)),
    tail: fc.oneof(fc.nat(200), fc.nat(70_000)),
    data: fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ minLength: 65_536, maxLength: 65_600 }),
    ),
  });
  await fc.assert(
    fc.asyncProperty(delta, async (frame) => {
      const bytes = encodeFrame(frame);
      const read = await new FrameReader(chunks(bytes, []), DEFAULT_SYNC_LIMITS, 'peer').next();
      t.same(
        { ...read, id: Buffer.from(read!.id as Uint8Array), data: Buffer.from(read!.data as Uint8Array) },
        { ...frame, id: Buffer.from(frame.id), data: Buffer.from(frame.data) },
      );
      t.equal((read!.data as Uint8Array).buffer, bytes.buffer, 'read in place: the data is a view');
    }),
    { numRuns: 200 },
  );
});

t.test('an oversized or cut frame is an error, buffered or not', async (t) => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(DEFAULT_SYNC_LIMITS.maxFrameBytes + 1);
  const oversized = new FrameReader(
    chunks(Buffer.concat([header, Buffer.alloc(10)]), [2]),
    DEFAULT_SYNC_LIMITS,
    'peer',
  );
  await t.rejects(oversized.next(), { code: 'E_PROTOCOL', message: /sync.maxFrameBytes/ });
  const buffered = new FrameReader(
    chunks(Buffer.concat([header, Buffer.alloc(10)]), []),
    DEFAULT_SYNC_LIMITS,
    'peer',
  );
  await t.rejects(buffered.next(), { message: /sync.maxFrameBytes/ });
  const cut = encodeFrame({ type: 'done', objects: 1 }).subarray(0, 7);
  const reader = new FrameReader(chunks(cut, [3]), DEFAULT_SYNC_LIMITS, 'peer');
  t.equal(reader.nextBuffered(), undefined, 'nothing buffered yet');
  await t.rejects(reader.next(), { code: 'E_PROTOCOL', message: /in the middle of a frame/ });
});
