// The pack and pack index formats (docs/object-format.md#packs): many objects in one file, found through an
// index of sorted ids → offsets. Both files are untrusted input: every field is checked before it is used.

import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { EnvSyncError } from '../errors.ts';
import { MAX_OBJECT_BYTES } from './limits.ts';
import type { ObjectId } from './object-id.ts';

const PACK_MAGIC = 'ESPK';
const INDEX_MAGIC = 'ESIX';
const VERSION = 1;
export const PACK_HEADER_BYTES = 8;
export const ENTRY_HEADER_BYTES = 4;
export const CHECKSUM_BYTES = 32;
const INDEX_HEADER_BYTES = 12;
const ID_BYTES = 32;
const OFFSET_BYTES = 8;
/** Objects in one pack: bounds an index at 640 MiB before it is read. */
export const MAX_PACK_OBJECTS = 1 << 24;

export function packCorrupt(file: string, reason: string): EnvSyncError {
  return new EnvSyncError('E_PACK_CORRUPT', `${file} is corrupt: ${reason}`);
}

export function packHeader(): Buffer {
  const header = Buffer.alloc(PACK_HEADER_BYTES);
  header.write(PACK_MAGIC, 0, 'latin1');
  header.writeUInt32BE(VERSION, 4);
  return header;
}

/** Checks the 8-byte header of a pack of `size` bytes. */
export function checkPackHeader(header: Buffer, size: number, file: string): void {
  if (size < PACK_HEADER_BYTES + CHECKSUM_BYTES) throw packCorrupt(file, `truncated (${size} bytes)`);
  if (header.toString('latin1', 0, 4) !== PACK_MAGIC) throw packCorrupt(file, 'not an env-sync pack');
  if (header.readUInt32BE(4) !== VERSION)
    throw packCorrupt(file, `unsupported pack version ${header.readUInt32BE(4)}`);
}

/** A parsed index: ids ascending, each with the offset of its entry in the pack. */
export interface PackIndex {
  readonly count: number;
  /** `count` 32-byte ids, strictly ascending. */
  readonly ids: Buffer;
  /** The same bytes, for fast reads of their first four bytes. */
  readonly view: DataView;
  /** `count` 8-byte big-endian offsets. */
  readonly offsets: DataView;
  /** The checksum (trailer) of the pack this index describes. */
  readonly packChecksum: Buffer;
}

/** Serializes the index of a pack; `entries` in any order (lowercase hex ids sort as their bytes do). */
export function encodeIndex(
  entries: readonly { readonly id: ObjectId; readonly offset: number }[],
  packChecksum: Buffer,
): Buffer {
  const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const count = sorted.length;
  const bytes = Buffer.alloc(indexSize(count));
  bytes.write(INDEX_MAGIC, 0, 'latin1');
  bytes.writeUInt32BE(VERSION, 4);
  bytes.writeUInt32BE(count, 8);
  const offsetsAt = INDEX_HEADER_BYTES + count * ID_BYTES;
  const offsets = new DataView(bytes.buffer, bytes.byteOffset + offsetsAt, count * OFFSET_BYTES);
  for (let i = 0; i < count; i++) {
    const entry = sorted[i]!;
    bytes.write(entry.id, INDEX_HEADER_BYTES + i * ID_BYTES, 'hex');
    offsets.setUint32(i * OFFSET_BYTES, Math.floor(entry.offset / 2 ** 32));
    offsets.setUint32(i * OFFSET_BYTES + 4, entry.offset % 2 ** 32);
  }
  const checksumAt = offsetsAt + count * OFFSET_BYTES;
  packChecksum.copy(bytes, checksumAt);
  sha256(bytes.subarray(0, checksumAt + CHECKSUM_BYTES)).copy(bytes, checksumAt + CHECKSUM_BYTES);
  return bytes;
}

function indexSize(count: number): number {
  return INDEX_HEADER_BYTES + count * (ID_BYTES + OFFSET_BYTES) + 2 * CHECKSUM_BYTES;
}

export const MAX_INDEX_BYTES = indexSize(MAX_PACK_OBJECTS);

/**
 * Parses and checks an index whose pack is `packBytes` long: magic, version, exact size, checksum, ids
 * strictly ascending, every offset inside the pack's entries.
 */
export function parseIndex(bytes: Buffer, file: string, packBytes: number): PackIndex {
  if (bytes.length < indexSize(0)) throw packCorrupt(file, `truncated (${bytes.length} bytes)`);
  if (bytes.toString('latin1', 0, 4) !== INDEX_MAGIC) throw packCorrupt(file, 'not an env-sync pack index');
  if (bytes.readUInt32BE(4) !== VERSION)
    throw packCorrupt(file, `unsupported index version ${bytes.readUInt32BE(4)}`);
  const count = bytes.readUInt32BE(8);
  if (count > MAX_PACK_OBJECTS) throw packCorrupt(file, `claims ${count} objects`);
  if (bytes.length !== indexSize(count)) {
    throw packCorrupt(file, `${bytes.length} bytes where ${count} objects take ${indexSize(count)}`);
  }
  const checksumAt = bytes.length - CHECKSUM_BYTES;
  if (!sha256(bytes.subarray(0, checksumAt)).equals(bytes.subarray(checksumAt))) {
    throw packCorrupt(file, 'checksum mismatch');
  }
  const idsEnd = INDEX_HEADER_BYTES + count * ID_BYTES;
  const index: PackIndex = {
    count,
    ids: bytes.subarray(INDEX_HEADER_BYTES, idsEnd),
    view: new DataView(bytes.buffer, bytes.byteOffset + INDEX_HEADER_BYTES, count * ID_BYTES),
    offsets: new DataView(bytes.buffer, bytes.byteOffset + idsEnd, count * OFFSET_BYTES),
    packChecksum: bytes.subarray(checksumAt - CHECKSUM_BYTES, checksumAt),
  };
  // DataView reads rather than Buffer methods: this runs once per command, cold, where each Buffer call
  // costs microseconds of argument checks (a 2,000-entry index: 0.5 ms against 25 ms, measured).
  for (let i = 1; i < count; i++) {
    if (compareIds(index, i - 1, index.view.getUint32(i * ID_BYTES), index.ids, i * ID_BYTES) >= 0)
      throw packCorrupt(file, `ids out of order at entry ${i}`);
  }
  const lastEntry = packBytes - CHECKSUM_BYTES - ENTRY_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const offset = offsetAt(index, i);
    if (offset < PACK_HEADER_BYTES || offset > lastEntry)
      throw packCorrupt(file, `offset of entry ${i} is outside the pack`);
  }
  return index;
}

export function offsetAt(index: PackIndex, position: number): number {
  const at = position * OFFSET_BYTES;
  return index.offsets.getUint32(at) * 2 ** 32 + index.offsets.getUint32(at + 4);
}

/**
 * Compares the id at `position` with the 32 bytes of `key` at `keyAt`, whose first 4 bytes (big-endian) are
 * `keyWord`: those decide but for ties, so a comparison seldom leaves JavaScript.
 */
function compareIds(index: PackIndex, position: number, keyWord: number, key: Buffer, keyAt: number): number {
  const word = index.view.getUint32(position * ID_BYTES);
  if (word !== keyWord) return word < keyWord ? -1 : 1;
  return index.ids.compare(key, keyAt, keyAt + ID_BYTES, position * ID_BYTES, (position + 1) * ID_BYTES);
}

export function idAt(index: PackIndex, position: number): ObjectId {
  return index.ids.toString('hex', position * ID_BYTES, (position + 1) * ID_BYTES) as ObjectId;
}

/** The first position whose id is ≥ `id` (32 bytes). */
export function lowerBound(index: PackIndex, id: Buffer): number {
  const word = id.readUInt32BE(0);
  let low = 0;
  let high = index.count;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareIds(index, mid, word, id, 0) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The position of `id` in the index, or -1. */
export function findPosition(index: PackIndex, id: Buffer): number {
  const at = lowerBound(index, id);
  return at < index.count && compareIds(index, at, id.readUInt32BE(0), id, 0) === 0 ? at : -1;
}

/**
 * Reads the entry at `offset` of a pack of `packBytes` bytes open as `fd`: a 4-byte big-endian length, then
 * that many bytes, which must end before the trailer. Blocking reads, as for loose objects.
 */
export function readEntry(fd: number, offset: number, packBytes: number, file: string): Buffer {
  const header = preadExactly(fd, ENTRY_HEADER_BYTES, offset, file);
  const length = header.readUInt32BE(0);
  if (length > MAX_OBJECT_BYTES) throw packCorrupt(file, `entry at ${offset} claims ${length} bytes`);
  if (offset + ENTRY_HEADER_BYTES + length > packBytes - CHECKSUM_BYTES)
    throw packCorrupt(file, `entry at ${offset} runs past the end of the pack`);
  return preadExactly(fd, length, offset + ENTRY_HEADER_BYTES, file);
}

export function preadExactly(fd: number, length: number, position: number, file: string): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, bytes, read, length - read, position + read);
    if (n === 0) throw packCorrupt(file, 'truncated while reading');
    read += n;
  }
  return bytes;
}

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}
