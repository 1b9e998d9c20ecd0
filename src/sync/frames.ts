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

export class FrameReader {
  readonly #source: AsyncIterator<Uint8Array>;
  readonly #limits: SyncLimits;
  readonly #peer: string;
  #chunks: Buffer[] = [];
  #length = 0;
  #total = 0;
  #ended = false;
  /** When the first read started: the exchange's deadline counts from there. */
  #started: number | null = null;
  /** The current low-speed window: when it started and the bytes received in it. */
  #windowStart = 0;
  #windowBytes = 0;

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
    if (!(await this.#fill(4))) {
      if (this.#length === 0) return null;
      throw this.#error('connection closed in the middle of a frame header');
    }
    const size = this.#frameSize();
    if (!(await this.#fill(4 + size))) throw this.#error('connection closed in the middle of a frame');
    return this.#decode(size);
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
    let value: unknown;
    try {
      value = packr.unpack(body);
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

  /**
   * A peer that drips bytes would defeat the idle timeout: each window of `lowSpeedMs` must bring
   * `lowSpeedBytes`, and the whole exchange must end within `timeoutMs`. With the idle timeout bounding the
   * gap between reads, a slow peer is abandoned within idle + window time (60 s with the defaults).
   */
  #checkPace(received: number): void {
    const now = Date.now();
    const limits = this.#limits;
    if (now - this.#started! > limits.timeoutMs) {
      throw this.#error(`did not finish within ${Math.round(limits.timeoutMs / 1000)} s (sync.timeout)`);
    }
    this.#windowBytes += received;
    if (now - this.#windowStart >= limits.lowSpeedMs) {
      if (this.#windowBytes < limits.lowSpeedBytes) {
        throw this.#error(
          `sent ${this.#windowBytes} bytes in ${Math.round((now - this.#windowStart) / 1000)} s, less than ${limits.lowSpeedBytes} per ${Math.round(limits.lowSpeedMs / 1000)} s (sync.lowSpeedBytes, sync.lowSpeedTime)`,
        );
      }
      this.#windowStart = now;
      this.#windowBytes = 0;
    }
  }

  async #pull(): Promise<Buffer | null> {
    if (this.#ended) return null;
    if (this.#started === null) {
      this.#started = Date.now();
      this.#windowStart = this.#started;
    }
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
    this.#checkPace(chunk.length);
    this.#total += chunk.length;
    if (this.#total > this.#limits.maxTotalBytes) {
      throw this.#error(`sent more than ${this.#limits.maxTotalBytes} bytes (sync.maxTotalBytes)`);
    }
    return chunk;
  }
}
