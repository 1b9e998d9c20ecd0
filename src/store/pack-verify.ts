// Reading a pack from end to end, for fsck and index-pack: the pack's checksum, the index's own checks, that
// the index lists exactly the pack's entries, each under the id its bytes hash to; and an index rebuilt from
// the pack alone when it is missing.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isNotFound, writeFileAtomic } from './fs-atomic.ts';
import { hashObjectBytes, type ObjectId, shortId } from './object-id.ts';
import {
  CHECKSUM_BYTES,
  checkPackHeader,
  ENTRY_HEADER_BYTES,
  encodeIndex,
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
  const indexFile = path.join(packDir, `${name}.idx`);
  let listedCount = 0;
  const idAtOffset = new Map<number, ObjectId>();
  const entries = scanPack(
    packDir,
    name,
    (size, trailer) => {
      const index = parseIndex(readIndexFile(indexFile), indexFile, size);
      listedCount = index.count;
      if (!index.packChecksum.equals(trailer)) throw packCorrupt(indexFile, 'it does not match its pack');
      for (let i = 0; i < index.count; i++) idAtOffset.set(offsetAt(index, i), idAt(index, i));
      if (idAtOffset.size !== index.count) throw packCorrupt(indexFile, 'two entries share an offset');
    },
    (offset, id, bytes) => {
      const listed = idAtOffset.get(offset);
      if (listed === undefined)
        throw packCorrupt(indexFile, `the entry at ${offset} of its pack is not listed`);
      if (listed !== id)
        throw packCorrupt(
          path.join(packDir, `${name}.pack`),
          `object ${shortId(listed)} hashes to ${shortId(id)}`,
        );
      onObject(id, bytes);
    },
  );
  if (entries.length !== listedCount)
    throw packCorrupt(indexFile, `it lists ${listedCount} objects but the pack holds ${entries.length}`);
}

/**
 * Writes `<name>.idx` for a pack whose index is missing (git's `index-pack`), after checking the pack's
 * checksum, its name and every entry. Returns the number of objects indexed.
 */
export async function indexPack(packDir: string, name: string): Promise<number> {
  let trailer: Buffer | null = null;
  const entries = scanPack(
    packDir,
    name,
    (_size, checksum) => {
      trailer = checksum;
    },
    () => {},
  );
  await writeFileAtomic(path.join(packDir, `${name}.idx`), encodeIndex(entries, trailer!));
  return entries.length;
}

/** The ids of the objects in `<name>.pack`, read without its index; throws E_PACK_CORRUPT at a problem. */
export function packedIds(packDir: string, name: string): ObjectId[] {
  return scanPack(
    packDir,
    name,
    () => {},
    () => {},
  ).map((entry) => entry.id);
}

/**
 * Reads `<name>.pack` from end to end: its header, its checksum (which its name must be), then each entry,
 * hashed to its id. `onChecked` runs once the checksum holds, before the entries.
 */
function scanPack(
  packDir: string,
  name: string,
  onChecked: (size: number, trailer: Buffer) => void,
  onEntry: (offset: number, id: ObjectId, bytes: Buffer) => void,
): { id: ObjectId; offset: number }[] {
  const packFile = path.join(packDir, `${name}.pack`);
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
    if (!hash.digest().equals(trailer))
      throw packCorrupt(packFile, 'checksum mismatch (truncated or damaged)');
    if (`pack-${trailer.toString('hex')}` !== name)
      throw packCorrupt(packFile, 'its name is not its checksum');
    onChecked(size, trailer);
    const entries: { id: ObjectId; offset: number }[] = [];
    for (let offset = PACK_HEADER_BYTES; offset < end; ) {
      if (offset + ENTRY_HEADER_BYTES > end) throw packCorrupt(packFile, `entry at ${offset} is truncated`);
      const bytes = readEntry(fd, offset, size, packFile);
      const id = hashObjectBytes(bytes);
      onEntry(offset, id, bytes);
      entries.push({ id, offset });
      offset += ENTRY_HEADER_BYTES + bytes.length;
    }
    return entries;
  } finally {
    closeSync(fd);
  }
}
