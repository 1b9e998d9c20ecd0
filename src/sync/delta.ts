// Delta frames (docs/protocol.md#delta-frames): a snapshot sent as the bytes it does not share with the snapshot
// before it in the pack. Consecutive snapshots of a history differ in a few values, so a pack of them is nearly
// all repetition: sending only the difference spares the sender compressing it and the receiver inflating and
// comparing it again.

import { idToBytes, type ObjectId } from '../store/object-id.ts';
import type { Frame } from './frames.ts';
import { type SharedBytes, sameBytes } from './shared-bytes.ts';

/** A delta must spare at least this many bytes of its object (a frame's own keys cost about 30). */
const MIN_SHARED_BYTES = 64;

/**
 * The `delta` frame for `bytes` (the object `id`) against `base`, the last snapshot sent before it, or null
 * when they share too little for a delta to pay.
 */
export function deltaFrame(id: ObjectId, bytes: Uint8Array, base: Uint8Array): Frame | null {
  const head = commonHeadLength(base, bytes);
  const tail = commonTailLength(base, bytes, Math.min(base.length, bytes.length) - head);
  if (head + tail < MIN_SHARED_BYTES) return null;
  return { type: 'delta', id: idToBytes(id), head, tail, data: bytes.subarray(head, bytes.length - tail) };
}

/** Whether stored bytes are a snapshot: canonical msgpack, an array whose first element is 'snapshot'. */
export function isSnapshotBytes(bytes: Uint8Array): boolean {
  if (bytes.length < SNAPSHOT_TYPE.length + 1 || (bytes[0]! & 0xf0) !== 0x90) return false;
  return sameBytes(bytes, 1, SNAPSHOT_TYPE, 0, SNAPSHOT_TYPE.length);
}

const SNAPSHOT_TYPE = Buffer.from([0xa8, ...Buffer.from('snapshot')]);

/**
 * Where the objects of delta frames are built: two buffers taken in turn, so that the base of a delta (the
 * object before it) is never the memory its object is written to, and a pack of deltas does not allocate (and
 * fault in) fresh memory for each of its objects. An object lives until the one after next is built.
 */
export class DeltaOutput {
  #buffers: Buffer[] = [Buffer.alloc(0), Buffer.alloc(0)];
  #turn = 0;

  /** `length` bytes to build an object in, not overlapping `base`; what they held before is gone. */
  take(length: number, base: Uint8Array): Buffer {
    let turn = this.#turn;
    if (this.#buffers[turn]!.buffer === base.buffer) turn = 1 - turn;
    this.#turn = 1 - turn;
    if (this.#buffers[turn]!.length < length)
      this.#buffers[turn] = Buffer.allocUnsafeSlow(Math.max(length, 64 * 1024));
    return this.#buffers[turn]!.subarray(0, length);
  }
}

/**
 * The object a `delta` frame describes, built in `output`: the first `head` bytes of `base`, then its `data`,
 * then the last `tail` bytes of `base`. Throws `refuse(detail)`'s error when the frame is malformed or the
 * object would exceed `maxObjectBytes`.
 */
export function applyDelta(
  frame: Frame,
  base: Uint8Array,
  output: DeltaOutput,
  maxObjectBytes: number,
  refuse: (detail: string) => Error,
): { data: Buffer; shared: SharedBytes } {
  const { head, tail, data } = frame;
  if (!isLength(head) || !isLength(tail) || !(data instanceof Uint8Array)) {
    throw refuse('sent a malformed delta frame');
  }
  if (head + tail > base.length) {
    throw refuse(`sent a delta keeping ${head + tail} bytes of a ${base.length}-byte snapshot`);
  }
  const length = head + data.length + tail;
  if (length > maxObjectBytes) {
    throw refuse(`sent a ${length}-byte object; the limit is ${maxObjectBytes} (sync.maxObjectBytes)`);
  }
  const object = output.take(length, base);
  object.set(base.subarray(0, head), 0);
  object.set(data, head);
  object.set(base.subarray(base.length - tail), head + data.length);
  return { data: object, shared: { base, head, tail } };
}

function isLength(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** How many bytes `a` and `b` start with alike (binary search over native comparisons). */
function commonHeadLength(a: Uint8Array, b: Uint8Array): number {
  let same = 0;
  for (let high = Math.min(a.length, b.length); same < high; ) {
    const mid = (same + high + 1) >>> 1;
    if (sameBytes(a, same, b, same, mid - same)) same = mid;
    else high = mid - 1;
  }
  return same;
}

/** How many bytes, at most `max`, `a` and `b` end with alike. */
function commonTailLength(a: Uint8Array, b: Uint8Array, max: number): number {
  let same = 0;
  for (let high = max; same < high; ) {
    const mid = (same + high + 1) >>> 1;
    if (sameBytes(a, a.length - mid, b, b.length - mid, mid - same)) same = mid;
    else high = mid - 1;
  }
  return same;
}
