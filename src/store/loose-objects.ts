// Loose objects on disk (objects/<2 hex>/<62 hex>): reading one, listing them, finding them by prefix.
// Writing is ObjectDatabase's (atomic, idempotent); these are the reads that know the layout.

import { closeSync, promises as fs, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { EnvSyncError } from '../errors.ts';
import { isNotFound } from './fs-atomic.ts';
import { MAX_OBJECT_BYTES } from './limits.ts';
import type { ObjectId } from './object-id.ts';

/** Most objects fit: one read fills it, and a shorter read of an immutable regular file ends at its end. */
const SCRATCH_BYTES = 64 * 1024;
const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

/**
 * Reads a whole loose object, refusing one over the size limit; null when there is none. Open, read, close:
 * no stat for an object smaller than the scratch buffer (system calls are most of the cost of a read). A
 * miss throws inside openSync, which is dear, but readers look in loaded packs first, so misses are rare.
 */
export function readLooseSync(file: string, what: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  try {
    const first = readSync(fd, scratch, 0, SCRATCH_BYTES, 0);
    if (first < SCRATCH_BYTES) {
      const bytes = Buffer.allocUnsafe(first);
      scratch.copy(bytes, 0, 0, first);
      return bytes;
    }
    const size = fstatSync(fd).size;
    if (size > MAX_OBJECT_BYTES) {
      throw new EnvSyncError('E_OBJECT_TOO_LARGE', `${what}: ${size} bytes exceeds the limit`);
    }
    const bytes = Buffer.allocUnsafe(size);
    scratch.copy(bytes, 0, 0, Math.min(first, size));
    let read = Math.min(first, size);
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return read === size ? bytes : bytes.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Every loose object id under `objectsDir`, sorted. Stray files are reported by fsck, not here. */
export async function* listLooseIds(objectsDir: string): AsyncGenerator<ObjectId> {
  let fanouts: string[];
  try {
    fanouts = await fs.readdir(objectsDir);
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  for (const fanout of fanouts.sort()) {
    if (!/^[0-9a-f]{2}$/.test(fanout)) continue;
    for (const rest of (await fs.readdir(path.join(objectsDir, fanout))).sort()) {
      if (/^[0-9a-f]{62}$/.test(rest)) yield `${fanout}${rest}` as ObjectId;
    }
  }
}

/** Loose ids starting with a hex prefix of at least 2 characters. */
export async function findLooseByPrefix(objectsDir: string, prefix: string): Promise<ObjectId[]> {
  let names: string[] = [];
  try {
    names = await fs.readdir(path.join(objectsDir, prefix.slice(0, 2)));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const rest = prefix.slice(2);
  return names
    .filter((name) => /^[0-9a-f]{62}$/.test(name) && name.startsWith(rest))
    .map((name) => `${prefix.slice(0, 2)}${name}` as ObjectId);
}
