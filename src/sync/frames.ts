// Length-prefixed msgpack frames (docs/protocol.md#frames): a 4-byte big-endian length, then one msgpack map.
// FrameReader turns an untrusted byte stream into frames, bounding frame size, total bytes and idle time.

import { Packr } from 'msgpackr/pack';
import { EnvSyncError } from '../errors.ts';
import type { SyncLimits } from './limits.ts';

export type Frame = Record<string, unknown>;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number', copyBuffers: true });
const EMPTY = Buffer.alloc(0);

export function encodeFrame(frame: Frame): Buffer {
  const body = packr.pack(frame);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/**
 * The bytes msgpackr starts a frame `{ type, id, … }` of `keys` keys with: a map16 header, the key `type` and
 * its value (fixstr), then the key `id` and the bin 8 header of its 32 bytes.
 */
function framePrefix(type: string, keys: number): Buffer {
  return Buffer.from([
    0xde,
    0x00,
    keys,
    0xa4,
    ...Buffer.from('type'),
    0xa0 | type.length,
    ...Buffer.from(type),
    0xa2,
    ...Buffer.from('id'),
    0xc4,
    32,
  ]);
}

// An `object` frame as msgpackr writes `{ type: 'object', id, data }`: a map16 of three keys, the id a bin 8
// of 32 bytes, then the data's bin header. Object frames are nearly all of a pack: pack-writer.ts builds them
// from this prefix instead of through msgpackr, and FrameReader reads frames that start with it in place.
const OBJECT_FRAME_PREFIX = framePrefix('object', 3);
const DATA_KEY = Buffer.from([0xa4, ...Buffer.from('data')]);
const ID_AT = OBJECT_FRAME_PREFIX.length;
const DATA_KEY_AT = ID_AT + 32;
const DATA_AT = DATA_KEY_AT + DATA_KEY.length;

/**
 * The length prefix and msgpack bytes of an `object` frame up to its data, which follows: the frame is this
 * header and then `dataLength` bytes. Together they are the bytes `encodeFrame` gives the same frame.
 */
export function objectFrameHeader(id: Uint8Array, dataLength: number): Buffer {
  const binHeader = dataLength < 0x100 ? 2 : dataLength < 0x10000 ? 3 : 5;
  const header = Buffer.allocUnsafe(4 + DATA_AT + binHeader);
  header.writeUInt32BE(DATA_AT + binHeader + dataLength, 0);
  OBJECT_FRAME_PREFIX.copy(header, 4);
  header.set(id, 4 + ID_AT);
  DATA_KEY.copy(header, 4 + DATA_KEY_AT);
  const at = 4 + DATA_AT;
  if (binHeader === 2) {
    header[at] = 0xc4;
    header[at + 1] = dataLength;
  } else if (binHeader === 3) {
    header[at] = 0xc5;
    header.writeUInt16BE(dataLength, at + 1);
  } else {
    header[at] = 0xc6;
    header.writeUInt32BE(dataLength, at + 1);
  }
  return header;
}

/**
 * The frame `body` holds if it is an `object` frame laid out as objectFrameHeader writes it, with views of its
 * id and data (no copies); null for anything else, which msgpackr then decodes.
 */
function readObjectFrame(body: Buffer): Frame | null {
  if (body.length < DATA_AT + 2 || !bytesAt(body, 0, OBJECT_FRAME_PREFIX)) return null;
  if (!bytesAt(body, DATA_KEY_AT, DATA_KEY)) return null;
  const head = body[DATA_AT]!;
  let start: number;
  let length: number;
  if (head === 0xc4) {
    start = DATA_AT + 2;
    length = body[DATA_AT + 1]!;
  } else if (head === 0xc5 && body.length >= DATA_AT + 3) {
    start = DATA_AT + 3;
    length = body.readUInt16BE(DATA_AT + 1);
  } else if (head === 0xc6 && body.length >= DATA_AT + 5) {
    start = DATA_AT + 5;
    length = body.readUInt32BE(DATA_AT + 1);
  } else return null;
  if (start + length !== body.length) return null;
  return { type: 'object', id: body.subarray(ID_AT, DATA_KEY_AT), data: body.subarray(start) };
}

// A `delta` frame as msgpackr writes `{ type: 'delta', id, head, tail, data }` (src/sync/delta.ts makes them):
// a map16 of five keys, the id a bin 8 of 32 bytes, head and tail unsigned integers, then the data's bin header.
const DELTA_FRAME_PREFIX = framePrefix('delta', 5);
const HEAD_KEY = Buffer.from([0xa4, ...Buffer.from('head')]);
const TAIL_KEY = Buffer.from([0xa4, ...Buffer.from('tail')]);

/**
 * The `delta` frame `body` holds if it has the layout above, with views of its id and data; null for anything
 * else, which msgpackr then decodes. A pack of a history is mostly delta frames: this spares msgpackr's decoder
 * (cold in a fetching process) a thousand maps.
 */
function readDeltaFrame(body: Buffer): Frame | null {
  const idAt = DELTA_FRAME_PREFIX.length;
  let at = idAt + 32;
  if (body.length < at + 3 * 5 + 2 || !bytesAt(body, 0, DELTA_FRAME_PREFIX)) return null;
  const fields: number[] = [];
  for (const key of [HEAD_KEY, TAIL_KEY]) {
    if (!bytesAt(body, at, key)) return null;
    at += key.length;
    const head = body[at]!;
    const size = head <= 0x7f ? 0 : head === 0xcc ? 1 : head === 0xcd ? 2 : head === 0xce ? 4 : -1;
    if (size < 0 || at + 1 + size > body.length) return null;
    fields.push(size === 0 ? head : body.readUIntBE(at + 1, size));
    at += 1 + size;
  }
  if (!bytesAt(body, at, DATA_KEY)) return null;
  at += DATA_KEY.length;
  const data = binAt(body, at);
  if (data === null) return null;
  return { type: 'delta', id: body.subarray(idAt, idAt + 32), head: fields[0], tail: fields[1], data };
}

/**
 * Whether `body` holds `expected` at `at`. A loop, not Buffer#compare: a few bytes, and compare's offset
 * arguments are each checked by a JavaScript call that runs interpreted in a short-lived process.
 */
function bytesAt(body: Buffer, at: number, expected: Buffer): boolean {
  if (at + expected.length > body.length) return false;
  for (let i = 0; i < expected.length; i++) if (body[at + i] !== expected[i]) return false;
  return true;
}

/** The bin (c4, c5 or c6 and its length) at `at` if it ends `body` exactly, as a view; else null. */
function binAt(body: Buffer, at: number): Buffer | null {
  const head = body[at];
  const size = head === 0xc4 ? 1 : head === 0xc5 ? 2 : head === 0xc6 ? 4 : 0;
  if (size === 0 || at + 1 + size > body.length) return null;
  const start = at + 1 + size;
  return start + body.readUIntBE(at + 1, size) === body.length ? body.subarray(start) : null;
}

export class FrameReader {
  readonly #source: AsyncIterator<Uint8Array>;
  readonly #limits: SyncLimits;
  readonly #peer: string;
  #chunks: Buffer[] = [];
  #length = 0;
  #total = 0;
  #ended = false;

  /** `peer` names the other side in errors ("remote origin", "client"). */
  constructor(source: AsyncIterable<Uint8Array>, limits: SyncLimits, peer: string) {
    this.#source = source[Symbol.asyncIterator]();
    this.#limits = limits;
    this.#peer = peer;
  }

  get peer(): string {
    return this.#peer;
  }

  /** Bytes read so far (before any decompression this reader does not know about). */
  get totalBytes(): number {
    return this.#total;
  }

  /** The next frame, or null at a clean end of stream between frames. */
  async next(): Promise<Frame | null> {
    const buffered = this.nextBuffered();
    if (buffered !== undefined) return buffered;
    if (!(await this.#fill(4))) {
      if (this.#length === 0) return null;
      throw this.#error('connection closed in the middle of a frame header');
    }
    const size = this.#frameSize();
    if (!(await this.#fill(4 + size))) throw this.#error('connection closed in the middle of a frame');
    return this.#decode(size);
  }

  /**
   * The next frame if its bytes are already buffered, else undefined (then call `next`): a pack's frames
   * arrive many to a chunk, and reading those without a promise each is a sizeable part of receiving.
   */
  nextBuffered(): Frame | undefined {
    if (this.#length < 4) return undefined;
    const size = this.#frameSize();
    return this.#length < 4 + size ? undefined : this.#decode(size);
  }

  /** The length in the buffered frame header, checked against the limit. */
  #frameSize(): number {
    const first = this.#chunks[0]!;
    const size = first.length >= 4 ? first.readUInt32BE(0) : this.#peek(4).readUInt32BE(0);
    if (size > this.#limits.maxFrameBytes) {
      throw this.#error(
        `sent a ${size}-byte frame; the limit is ${this.#limits.maxFrameBytes} (sync.maxFrameBytes)`,
      );
    }
    return size;
  }

  /** Takes a buffered frame of `size` bytes (after its 4-byte header) and decodes it. */
  #decode(size: number): Frame {
    this.#drop(4);
    const body = this.#take(size);
    let value: unknown = readObjectFrame(body) ?? readDeltaFrame(body);
    try {
      value ??= packr.unpack(body);
    } catch {
      throw this.#error('sent a frame that is not valid msgpack');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
      throw this.#error('sent a frame that is not a msgpack map');
    }
    const frame = value as Frame;
    if (frame.type === 'error') {
      const message = typeof frame.message === 'string' ? frame.message.split('\n')[0]!.slice(0, 300) : '';
      throw new EnvSyncError('E_REMOTE', `${this.#peer}: ${message || 'unspecified error'}`);
    }
    return frame;
  }

  /** The next frame, which must exist and be of `type`. */
  async expect(type: string): Promise<Frame> {
    const frame = await this.next();
    if (frame === null) throw this.#error(`closed the connection; expected a '${type}' frame`);
    if (frame.type !== type) {
      throw this.#error(`sent a '${String(frame.type).slice(0, 20)}' frame; expected '${type}'`);
    }
    return frame;
  }

  /** Unread bytes followed by the rest of the source: the input of a compressed section. */
  async *rest(): AsyncGenerator<Buffer> {
    const pending = this.#length > 0 ? Buffer.concat(this.#chunks) : EMPTY;
    this.#chunks = [];
    this.#length = 0;
    if (pending.length > 0) yield pending;
    for (;;) {
      const chunk = await this.#pull();
      if (chunk === null) return;
      yield chunk;
    }
  }

  error(detail: string): EnvSyncError {
    return this.#error(detail);
  }

  #error(detail: string): EnvSyncError {
    return new EnvSyncError('E_PROTOCOL', `${this.#peer} ${detail}`);
  }

  async #fill(size: number): Promise<boolean> {
    while (this.#length < size) {
      const chunk = await this.#pull();
      if (chunk === null) return false;
      this.#chunks.push(chunk);
      this.#length += chunk.length;
    }
    return true;
  }

  /** The first `size` buffered bytes, left buffered: a copy (only a header split across chunks needs it). */
  #peek(size: number): Buffer {
    const bytes = Buffer.allocUnsafe(size);
    let copied = 0;
    for (const chunk of this.#chunks) {
      if (copied === size) break;
      copied += chunk.copy(bytes, copied, 0, Math.min(chunk.length, size - copied));
    }
    return bytes;
  }

  /** Skips the next `size` buffered bytes. */
  #drop(size: number): void {
    let left = size;
    while (left > 0) {
      const chunk = this.#chunks[0]!;
      if (chunk.length <= left) {
        this.#chunks.shift();
        left -= chunk.length;
      } else {
        this.#chunks[0] = chunk.subarray(left);
        left = 0;
      }
    }
    this.#length -= size;
  }

  /** The next `size` buffered bytes: a view when one chunk holds them, else a copy of just those bytes. */
  #take(size: number): Buffer {
    if (size === 0) return EMPTY;
    const first = this.#chunks[0]!;
    let taken: Buffer;
    if (first.length >= size) {
      taken = first.subarray(0, size);
      if (first.length === size) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(size);
    } else {
      taken = Buffer.allocUnsafe(size);
      let copied = 0;
      while (copied < size) {
        const chunk = this.#chunks[0]!;
        const part = Math.min(chunk.length, size - copied);
        chunk.copy(taken, copied, 0, part);
        copied += part;
        if (part === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(part);
      }
    }
    this.#length -= size;
    return taken;
  }

  async #pull(): Promise<Buffer | null> {
    if (this.#ended) return null;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            this.#error(`sent nothing for ${Math.round(this.#limits.idleMs / 1000)} s (sync.idleTimeout)`),
          ),
        this.#limits.idleMs,
      );
    });
    let result: IteratorResult<Uint8Array>;
    try {
      result = await Promise.race([this.#source.next(), idle]);
    } catch (error) {
      if (error instanceof EnvSyncError) throw error;
      const code = (error as NodeJS.ErrnoException)?.code;
      throw this.#error(`connection failed${code ? ` (${code})` : ''}`);
    } finally {
      clearTimeout(timer);
    }
    if (result.done) {
      this.#ended = true;
      return null;
    }
    const chunk = Buffer.isBuffer(result.value) ? result.value : Buffer.from(result.value);
    this.#total += chunk.length;
    if (this.#total > this.#limits.maxTotalBytes) {
      throw this.#error(`sent more than ${this.#limits.maxTotalBytes} bytes (sync.maxTotalBytes)`);
    }
    return chunk;
  }
}
