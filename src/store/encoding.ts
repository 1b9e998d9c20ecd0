// Canonical msgpack: the one byte encoding every peer produces for the same value.
// Objects are arrays of nil, booleans, uint32 integers, strings, byte strings and arrays; no maps, no floats.
// See docs/object-format.md#canonical-encoding.

// 'msgpackr/pack' is the pure-JS build: the main entry probes for a native add-on at start-up (detect-libc,
// node-gyp-build), which costs more than it saves on objects this small.
import { Packr } from 'msgpackr/pack';
import { EnvSyncError } from '../errors.ts';

/** The values an object may hold. Maps are deliberately absent: their key order is not canonical. */
export type Canonical = null | boolean | number | string | Uint8Array | readonly Canonical[];

// useRecords false: plain msgpack, readable by any decoder. copyBuffers: decoded byte strings must not
// alias the input (callers keep them after the input buffer is reused).
const packr = new Packr({ useRecords: false, copyBuffers: true, int64AsType: 'number', mapsAsObjects: true });

export function encodeCanonical(value: Canonical): Uint8Array {
  assertEncodable(value, 0);
  return packr.pack(value);
}

/**
 * Decodes canonical msgpack strictly, in one pass: only the data model's types, each value in the one encoding
 * encodeCanonical gives it (the smallest integer and length forms, well-formed UTF-8), nesting at most
 * MAX_DEPTH, nothing after the value. msgpackr decodes leniently; checking by re-encoding cost a second pass
 * and most of a cold `get` (test/store/encoding.test.ts holds the two to the same verdicts).
 */
export function decodeCanonical(bytes: Uint8Array, what: string): Canonical {
  const reader = new CanonicalReader(bytes, what);
  const value = reader.value(0);
  if (reader.offset !== bytes.length) {
    throw new EnvSyncError(
      'E_OBJECT_CORRUPT',
      `${what}: not valid msgpack (${bytes.length - reader.offset} bytes after the value)`,
    );
  }
  return value;
}

// ignoreBOM: a string may start with U+FEFF like any other character; by default TextDecoder drops it, which
// would decode `a3 ef bb bf` to "" (whose encoding is `a0`): a second encoding of one value.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class CanonicalReader {
  readonly #bytes: Uint8Array;
  /** The same bytes as a Buffer, for its string decoding (no Buffer made per string). */
  readonly #buffer: Buffer;
  readonly #view: DataView;
  readonly #what: string;
  offset = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  value(depth: number): Canonical {
    const type = this.#uint(1);
    if (type <= 0x7f) return type;
    if (type >= 0xa0 && type <= 0xbf) return this.#string(type - 0xa0, 0);
    if (type >= 0x90 && type <= 0x9f) return this.#array(type - 0x90, 0, depth);
    switch (type) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xcc:
        return this.#minimal(this.#uint(1), 0x80);
      case 0xcd:
        return this.#minimal(this.#uint(2), 0x100);
      case 0xce:
        return this.#minimal(this.#uint(4), 0x10000);
      case 0xd9:
        return this.#string(this.#uint(1), 32);
      case 0xda:
        return this.#string(this.#uint(2), 0x100);
      case 0xdb:
        return this.#string(this.#uint(4), 0x10000);
      case 0xc4:
        return this.#binary(this.#uint(1), 0);
      case 0xc5:
        return this.#binary(this.#uint(2), 0x100);
      case 0xc6:
        return this.#binary(this.#uint(4), 0x10000);
      case 0xdc:
        return this.#array(this.#uint(2), 16, depth);
      case 0xdd:
        return this.#array(this.#uint(4), 0x10000, depth);
      case 0xc1:
        return this.#corrupt(`type byte 0xc1 is never used`);
      case 0xca:
      case 0xcb:
      case 0xcf:
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3:
        // floats, uint64 and signed integers: a uint32 must be written as one, anything else is out of the model
        return this.#nonCanonical();
      default:
        // maps (0x80–0x8f, 0xde, 0xdf), extensions (0xc7–0xc9, 0xd4–0xd8), negative fixints (0xe0–0xff)
        throw new EnvSyncError(
          'E_OBJECT_CORRUPT',
          `${this.#what}: holds a value outside the object data model`,
        );
    }
  }

  #uint(size: 1 | 2 | 4): number {
    const at = this.offset;
    if (at + size > this.#bytes.length) this.#corrupt('unexpected end of data');
    this.offset = at + size;
    if (size === 1) return this.#bytes[at]!;
    return size === 2 ? this.#view.getUint16(at) : this.#view.getUint32(at);
  }

  /** A length or integer below `least` had a shorter form: not the canonical encoding. */
  #minimal(value: number, least: number): number {
    if (value < least) this.#nonCanonical();
    return value;
  }

  #nonCanonical(): never {
    throw new EnvSyncError('E_NON_CANONICAL', `${this.#what}: encoding is not canonical msgpack`);
  }

  #take(length: number): Uint8Array {
    const at = this.offset;
    if (at + length > this.#bytes.length) this.#corrupt('unexpected end of data');
    this.offset = at + length;
    return this.#bytes.subarray(at, at + length);
  }

  #string(length: number, least: number): string {
    const start = this.offset;
    const bytes = this.#take(this.#minimal(length, least));
    let ascii = true;
    for (let i = 0; i < bytes.length && ascii; i++) ascii = bytes[i]! < 0x80;
    if (ascii) return this.#buffer.toString('latin1', start, this.offset);
    try {
      return strictUtf8.decode(bytes);
    } catch {
      throw new EnvSyncError('E_NON_CANONICAL', `${this.#what}: a string is not well-formed UTF-8`);
    }
  }

  #binary(length: number, least: number): Uint8Array {
    // A copy (new Uint8Array of a typed array copies its bytes; Uint8Array.from iterates, twice the cost).
    return new Uint8Array(this.#take(this.#minimal(length, least)));
  }

  #array(length: number, least: number, depth: number): Canonical[] {
    this.#minimal(length, least);
    if (depth >= MAX_DEPTH) {
      throw new EnvSyncError(
        'E_OBJECT_CORRUPT',
        `${this.#what}: holds a value outside the object data model`,
      );
    }
    // Each item takes at least one byte: a length beyond the bytes left is truncation, not an allocation.
    if (length > this.#bytes.length - this.offset) this.#corrupt('unexpected end of data');
    const items: Canonical[] = new Array(length);
    for (let i = 0; i < length; i++) items[i] = this.value(depth + 1);
    return items;
  }

  #corrupt(reason: string): never {
    throw new EnvSyncError('E_OBJECT_CORRUPT', `${this.#what}: not valid msgpack (${reason})`);
  }
}

const MAX_DEPTH = 8;
/** msgpackr writes integers above uint32 as float64: the data model stops at uint32 (seconds last to 2106). */
export const MAX_UINT = 0xffff_ffff;
// msgpackr would write a lone surrogate as U+FFFD: refuse it rather than store something else than was given.
const LONE_SURROGATE = /\p{Cs}/u;

function isCanonicalValue(value: unknown, depth: number): value is Canonical {
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= MAX_UINT;
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return false;
    return value.every((item) => isCanonicalValue(item, depth + 1));
  }
  return false;
}

function assertEncodable(value: Canonical, depth: number): void {
  if (!isCanonicalValue(value, depth)) {
    throw new EnvSyncError('E_OBJECT_CORRUPT', 'refusing to encode a value outside the object data model');
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
