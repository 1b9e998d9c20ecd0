// The packs of objects/pack/ as this process sees them: indexes are loaded on first need and the directory is
// scanned again when an id is not found (another process may have written a pack since). Reads, not writes.

import { closeSync, fstatSync, openSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isNotFound } from './fs-atomic.ts';
import type { ObjectId } from './object-id.ts';
import {
  CHECKSUM_BYTES,
  checkPackHeader,
  findPosition,
  idAt,
  lowerBound,
  MAX_INDEX_BYTES,
  offsetAt,
  PACK_HEADER_BYTES,
  type PackIndex,
  packCorrupt,
  parseIndex,
  preadExactly,
  readEntry,
} from './pack-format.ts';

const INDEX_NAME = /^(pack-[0-9a-f]{64})\.idx$/;

interface LoadedPack {
  readonly file: string;
  /** Open for the life of the process: packs are immutable and few. */
  readonly fd: number;
  readonly size: number;
  readonly index: PackIndex;
}

interface Found {
  readonly pack: LoadedPack;
  readonly position: number;
}

function readFound(found: Found | null): Buffer | null {
  if (found === null) return null;
  const { pack, position } = found;
  return readEntry(pack.fd, offsetAt(pack.index, position), pack.size, pack.file);
}

export class PackSet {
  readonly #dir: string;
  readonly #packs = new Map<string, LoadedPack>();
  #scanned = false;

  constructor(packDir: string) {
    this.#dir = packDir;
  }

  /** The stored bytes of a packed object, not yet checked against `id`; null if no pack holds it. */
  read(id: ObjectId): Buffer | null {
    return readFound(this.#find(id));
  }

  /** Like `read`, in the packs this process has loaded only: never scans the directory. */
  readLoaded(id: ObjectId): Buffer | null {
    return readFound(this.#findLoaded(id));
  }

  has(id: ObjectId): boolean {
    return this.#find(id) !== null;
  }

  /** True when a pack this process has loaded holds `id`; never scans the directory. */
  hasLoaded(id: ObjectId): boolean {
    return this.#findLoaded(id) !== null;
  }

  /** Every packed id (an id in two packs appears twice). */
  *ids(): Generator<ObjectId> {
    this.#scanOnce();
    for (const pack of this.#packs.values()) {
      for (let i = 0; i < pack.index.count; i++) yield idAt(pack.index, i);
    }
  }

  /** Packed ids starting with a hex prefix. */
  findByPrefix(prefix: string): ObjectId[] {
    this.#scanOnce();
    const low = Buffer.from(prefix.padEnd(64, '0').slice(0, 64), 'hex');
    const found: ObjectId[] = [];
    for (const pack of this.#packs.values()) {
      for (let i = lowerBound(pack.index, low); i < pack.index.count; i++) {
        const id = idAt(pack.index, i);
        if (!id.startsWith(prefix)) break;
        found.push(id);
      }
    }
    return found;
  }

  /** Loads a pack this process has just written. */
  add(name: string): void {
    this.#load(name);
  }

  #find(id: ObjectId): Found | null {
    this.#scanOnce();
    const found = this.#findLoaded(id);
    if (found !== null || !this.#scan()) return found;
    return this.#findLoaded(id);
  }

  /** In the packs loaded so far. */
  #findLoaded(id: ObjectId): Found | null {
    if (this.#packs.size === 0) return null;
    const key = Buffer.from(id, 'hex');
    for (const pack of this.#packs.values()) {
      const position = findPosition(pack.index, key);
      if (position >= 0) return { pack, position };
    }
    return null;
  }

  #scanOnce(): void {
    if (!this.#scanned) this.#scan();
  }

  /** Loads the packs that appeared since the last scan; true if there were any. */
  #scan(): boolean {
    this.#scanned = true;
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    let added = false;
    for (const name of names.sort()) {
      const match = INDEX_NAME.exec(name);
      if (match === null || this.#packs.has(match[1]!)) continue;
      this.#load(match[1]!);
      added = true;
    }
    return added;
  }

  /** Opens `<name>.pack` and checks `<name>.idx` against it. A pack without an index is never loaded. */
  #load(name: string): void {
    const indexFile = path.join(this.#dir, `${name}.idx`);
    const packFile = path.join(this.#dir, `${name}.pack`);
    let fd: number;
    try {
      fd = openSync(packFile, 'r');
    } catch (error) {
      if (isNotFound(error)) throw packCorrupt(indexFile, 'its pack file is missing');
      throw error;
    }
    try {
      const size = fstatSync(fd).size;
      checkPackHeader(preadExactly(fd, Math.min(size, PACK_HEADER_BYTES), 0, packFile), size, packFile);
      // The pack's name is its checksum: a trailer that differs means the pack was cut or damaged, not its index.
      const trailer = preadExactly(fd, CHECKSUM_BYTES, size - CHECKSUM_BYTES, packFile);
      if (`pack-${trailer.toString('hex')}` !== name)
        throw packCorrupt(
          packFile,
          'its last 32 bytes are not the checksum its name gives (truncated or damaged)',
        );
      const index = parseIndex(readIndexFile(indexFile), indexFile, size);
      if (!trailer.equals(index.packChecksum)) throw packCorrupt(indexFile, 'it does not match its pack');
      this.#packs.set(name, { file: packFile, fd, size, index });
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }
}

/** Reads an index, refusing one larger than any index can be before reading it. */
export function readIndexFile(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_INDEX_BYTES) throw packCorrupt(file, `${size} bytes is larger than any index`);
    return preadExactly(fd, size, 0, file);
  } finally {
    closeSync(fd);
  }
}
