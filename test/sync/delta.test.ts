import t, { type Test } from 'tap';
import { encodeCanonical } from '../../src/store/encoding.ts';
import { hashObjectBytes, idToBytes } from '../../src/store/object-id.ts';
import { encodeObject, plainSnapshot } from '../../src/store/objects.ts';
import { deltaFrame } from '../../src/sync/delta.ts';
import { encodeFrame, type Frame, FrameReader } from '../../src/sync/frames.ts';
import { DEFAULT_SYNC_LIMITS, type SyncLimits } from '../../src/sync/limits.ts';
import { type PackTip, receivePack } from '../../src/sync/pack-reader.ts';
import { sampleAge } from '../store/sample-objects.ts';
import { makeStoreRepo } from '../store/store-repo.ts';

/** A history of plain snapshots of `keys` keys, each changing one value of the one before. */
function history(count: number, keys = 50): Uint8Array[] {
  const entries = Array.from({ length: keys }, (_, k) => [`KEY_${k}`, `value-${k}-0`] as [string, string]);
  return Array.from({ length: count }, (_, i) => {
    entries[(i * 7) % keys]![1] = `value-${i}-changed`;
    return encodeObject(plainSnapshot(entries));
  });
}

const objectFrame = (bytes: Uint8Array): Frame => ({
  type: 'object',
  id: idToBytes(hashObjectBytes(bytes)),
  data: bytes,
});

/** The frames of a pack sending `frames` uncompressed. */
function packBytes(frames: readonly Frame[]): Buffer {
  return Buffer.concat([
    encodeFrame({ type: 'pack', compression: 'none', objects: frames.length, base: null }),
    ...frames.map((frame) => encodeFrame(frame)),
    encodeFrame({ type: 'done', objects: frames.length, bytes: 0 }),
  ]);
}

async function receive(
  t: Test,
  objects: readonly Uint8Array[],
  frames: readonly Frame[],
  options: { deltaFrames?: boolean; limits?: SyncLimits } = {},
) {
  const repo = await makeStoreRepo(t);
  const bytes = packBytes(frames);
  const reader = new FrameReader(
    (async function* () {
      yield bytes;
    })(),
    options.limits ?? DEFAULT_SYNC_LIMITS,
    'peer',
  );
  const tips: PackTip[] = objects.map((o, i) => ({
    name: `tip ${i}`,
    id: hashObjectBytes(o),
    type: 'snapshot',
  }));
  const pack = await receivePack(repo, reader, options.limits ?? DEFAULT_SYNC_LIMITS, tips, 'fetch', {
    deltaFrames: options.deltaFrames ?? true,
  });
  return { repo, pack };
}

/** The history's frames: the first snapshot whole, each later one as a delta against the one before. */
function deltas(objects: readonly Uint8Array[]): Frame[] {
  return objects.map((bytes, i) =>
    i === 0 ? objectFrame(bytes) : deltaFrame(hashObjectBytes(bytes), bytes, objects[i - 1]!)!,
  );
}

t.test('delta frames rebuild each snapshot from the one before; all are stored as sent', async (t) => {
  const objects = history(30);
  const frames = deltas(objects);
  t.ok(
    frames.slice(1).every((frame) => frame.type === 'delta'),
    'consecutive snapshots are sent as deltas',
  );
  const deltaBytes = frames.slice(1).reduce((sum, frame) => sum + (frame.data as Uint8Array).length, 0);
  t.ok(deltaBytes < objects[1]!.length, `29 deltas carry ${deltaBytes} bytes`);
  const { repo, pack } = await receive(t, objects, frames);
  t.equal(pack.objects, 30);
  for (const bytes of objects) t.same(await repo.objects.readRaw(hashObjectBytes(bytes)), bytes);
});

t.test('a delta frame is refused where none was asked for, or malformed', async (t) => {
  const objects = history(3);
  const frames = deltas(objects);
  const refused = async (name: string, list: Frame[], error: RegExp, options = {}) =>
    t.rejects(receive(t, objects, list, options), { code: 'E_PROTOCOL', message: error }, name);
  await refused('not asked for', frames, /sent a 'delta' frame inside a pack/, { deltaFrames: false });
  await refused(
    'before any snapshot',
    [frames[1]!, frames[0]!, frames[2]!],
    /sent a delta frame before any snapshot/,
  );
  const keepsTooMuch = { ...frames[1]!, head: objects[0]!.length, tail: 1 };
  await refused(
    'keeping more than its base',
    [frames[0]!, keepsTooMuch],
    /keeping \d+ bytes of a \d+-byte snapshot/,
  );
  const otherId = { ...frames[1]!, id: idToBytes(hashObjectBytes(objects[2]!)) };
  await refused('another object than its id', [frames[0]!, otherId, frames[2]!], /whose bytes hash to/);
  await refused(
    'a head that is not a length',
    [frames[0]!, { ...frames[1]!, head: -1 }],
    /malformed delta frame/,
  );
  const limits = { ...DEFAULT_SYNC_LIMITS, maxObjectBytes: objects[0]!.length + 10 };
  const large = { ...frames[1]!, data: Buffer.alloc(objects[0]!.length) };
  await refused('past sync.maxObjectBytes', [frames[0]!, large], /sync.maxObjectBytes/, { limits });
});

t.test('the bytes deltas rebuild count against sync.maxTotalBytes', async (t) => {
  const objects = history(40, 200);
  const frames = deltas(objects);
  const wire = packBytes(frames).length;
  const limits = { ...DEFAULT_SYNC_LIMITS, maxTotalBytes: wire + 10 * objects[0]!.length };
  t.ok(40 * objects[0]!.length > limits.maxTotalBytes, 'the rebuilt history is larger than the limit');
  await t.rejects(receive(t, objects, frames, { limits }), {
    code: 'E_PROTOCOL',
    message: /sync.maxTotalBytes/,
  });
  // One budget for frames and rebuilt bytes: a pack that would store more than the limit is refused, though
  // its frames alone and its rebuilt objects alone each stay under it.
  const stored = objects.reduce((sum, object) => sum + object.length, 0);
  const tight = { ...DEFAULT_SYNC_LIMITS, maxTotalBytes: stored - 1 };
  t.ok(wire < tight.maxTotalBytes, 'the frames alone are under the limit');
  await t.rejects(receive(t, objects, frames, { limits: tight }), {
    code: 'E_PROTOCOL',
    message: /sync.maxTotalBytes/,
  });
});

t.test(
  'a snapshot rebuilt where an earlier one was is checked in full, not against stale bytes',
  async (t) => {
    // Rebuilt objects alternate between two buffers. The snapshot check compares a plain snapshot with the last
    // plain one; with an encrypted snapshot between them, that one is two objects back, in the buffer the next
    // delta is built in: an invalid snapshot of the same length must not pass for it.
    const long = (text: string) => text.repeat(40);
    const plain = encodeObject(
      plainSnapshot([
        ['A', long('first')],
        ['B', long('second')],
      ]),
    );
    const second = encodeObject(
      plainSnapshot([
        ['A', long('first')],
        ['B', long('SECOND')],
      ]),
    );
    const age = encodeObject(sampleAge());
    const invalid = encodeCanonical([
      'snapshot',
      1,
      'plain',
      [
        ['B', long('SECOND')],
        ['A', long('first')],
      ],
    ]);
    t.equal(invalid.length, second.length);
    const whole = (bytes: Uint8Array): Frame => ({
      type: 'delta',
      id: idToBytes(hashObjectBytes(bytes)),
      head: 0,
      tail: 0,
      data: bytes,
    });
    const frames = [
      objectFrame(plain),
      deltaFrame(hashObjectBytes(second), second, plain)!,
      whole(age),
      whole(invalid),
    ];
    const objects = [plain, second, age, invalid] as Uint8Array[];
    await t.rejects(receive(t, objects, frames), { code: 'E_PROTOCOL', message: /sent an invalid object/ });
  },
);
