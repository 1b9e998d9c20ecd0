// Full verification of one pack and its index, for fsck: the pack's checksum, the index's own checks, and that
// the index lists exactly the pack's entries, each under the id its bytes hash to.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isNotFound } from './fs-atomic.ts';
import { hashObjectBytes, type ObjectId, shortId } from './object-id.ts';
import {
  CHECKSUM_BYTES,
  checkPackHeader,
  ENTRY_HEADER_BYTES,
  idAt,
  offsetAt,
  PACK_HEADER_BYTES,
  packCorrupt,
  parseIndex,
  preadExactly,
  readEntry,
} from './pack-format.ts';
import { readIndexFile } from './pack-set.ts';

const CHUNK_BYTES = 1 << 20;

/** What objects/pack/ holds: complete packs (with an index), packs without one, indexes without a pack. */
export function listPackFiles(packDir: string): {
  packs: string[];
  unindexed: string[];
  orphanIndexes: string[];
} {
  let names: string[];
  try {
    names = readdirSync(packDir);
  } catch (error) {
    if (isNotFound(error)) return { packs: [], unindexed: [], orphanIndexes: [] };
    throw error;
  }
  const stems = (ext: string) =>
    new Set(
      names
        .filter((n) => /^pack-[0-9a-f]{64}\./.test(n) && n.endsWith(ext))
        .map((n) => n.slice(0, -ext.length)),
    );
  const packs = stems('.pack');
  const indexes = stems('.idx');
  return {
    packs: [...packs].filter((stem) => indexes.has(stem)).sort(),
    unindexed: [...packs].filter((stem) => !indexes.has(stem)).sort(),
    orphanIndexes: [...indexes].filter((stem) => !packs.has(stem)).sort(),
  };
}

/**
 * Verifies `<name>.pack` against `<name>.idx` and calls `onObject` for each object whose bytes hash to its
 * indexed id. Throws E_PACK_CORRUPT naming the file at the first problem.
 */
export function verifyPack(
  packDir: string,
  name: string,
  onObject: (id: ObjectId, bytes: Buffer) => void,
): void {
  const packFile = path.join(packDir, `${name}.pack`);
  const indexFile = path.join(packDir, `${name}.idx`);
  const fd = openSync(packFile, 'r');
  try {
    const size = fstatSync(fd).size;
    checkPackHeader(preadExactly(fd, Math.min(size, PACK_HEADER_BYTES), 0, packFile), size, packFile);
    const hash = createHash('sha256');
    const end = size - CHECKSUM_BYTES;
    for (let at = 0; at < end; at += CHUNK_BYTES) {
      hash.update(preadExactly(fd, Math.min(CHUNK_BYTES, end - at), at, packFile));
    }
    const trailer = preadExactly(fd, CHECKSUM_BYTES, end, packFile);
    if (!hash.digest().equals(trailer)) throw packCorrupt(packFile, 'checksum mismatch');
    if (`pack-${trailer.toString('hex')}` !== name)
      throw packCorrupt(packFile, 'its name is not its checksum');
    const index = parseIndex(readIndexFile(indexFile), indexFile, size);
    if (!index.packChecksum.equals(trailer)) throw packCorrupt(indexFile, 'it does not match its pack');
    const idAtOffset = new Map<number, ObjectId>();
    for (let i = 0; i < index.count; i++) idAtOffset.set(offsetAt(index, i), idAt(index, i));
    if (idAtOffset.size !== index.count) throw packCorrupt(indexFile, 'two entries share an offset');
    let entries = 0;
    for (let offset = PACK_HEADER_BYTES; offset < end; entries++) {
      if (offset + ENTRY_HEADER_BYTES > end) throw packCorrupt(packFile, `entry at ${offset} is truncated`);
      const bytes = readEntry(fd, offset, size, packFile);
      const id = idAtOffset.get(offset);
      if (id === undefined) throw packCorrupt(indexFile, `the entry at ${offset} of its pack is not listed`);
      const actual = hashObjectBytes(bytes);
      if (actual !== id) throw packCorrupt(packFile, `object ${shortId(id)} hashes to ${shortId(actual)}`);
      onObject(id, bytes);
      offset += ENTRY_HEADER_BYTES + bytes.length;
    }
    if (entries !== index.count)
      throw packCorrupt(indexFile, `it lists ${index.count} objects but the pack holds ${entries}`);
  } finally {
    closeSync(fd);
  }
}
