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
 * Decodes bytes and proves they are canonical: re-encoding the value must give the same bytes. This rejects
 * floats posing as integers, oversized length prefixes, maps, extensions and trailing garbage in one rule.
 */
export function decodeCanonical(bytes: Uint8Array, what: string): Canonical {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (error) {
    throw new EnvSyncError('E_OBJECT_CORRUPT', `${what}: not valid msgpack (${shortReason(error)})`);
  }
  if (!isCanonicalValue(value, 0)) {
    throw new EnvSyncError('E_OBJECT_CORRUPT', `${what}: holds a value outside the object data model`);
  }
  const again = packr.pack(value);
  if (!equalBytes(again, bytes)) {
    throw new EnvSyncError('E_NON_CANONICAL', `${what}: encoding is not canonical msgpack`);
  }
  return value;
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

function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 120);
}
