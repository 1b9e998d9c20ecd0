// Writes one new pack and its index into objects/pack/: temp files, fsynced, then rename the pack and then the
// index (an index names a complete pack; a pack without one is a crash leftover nothing reads).

import { createHash, type Hash, randomBytes } from 'node:crypto';
import { closeSync, fsync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { EnvSyncError } from '../errors.ts';
import { FILE_MODE, fsyncDirectory, withPath } from './fs-atomic.ts';
import type { ObjectId } from './object-id.ts';
import { ENTRY_HEADER_BYTES, encodeIndex, MAX_PACK_OBJECTS, packHeader } from './pack-format.ts';

const fsyncAsync = promisify(fsync);
/** Entries are gathered into writes of this size: one syscall per object would dominate. */
const WRITE_BYTES = 1 << 20;
/**
 * A large pack is fsynced as it grows, once per this many bytes written (on the thread pool, while objects
 * are still being received and checked), so that the fsync in `finish`, which the caller waits for, has
 * little left to write: 9 MB cost 13-25 ms there, against 3-7 ms after syncs on the way.
 */
const SYNC_EVERY_BYTES = 2 << 20;

export class PackBuilder {
  readonly #dir: string;
  readonly #temp: string;
  readonly #fd: number;
  readonly #hash: Hash = createHash('sha256');
  readonly #entries: { id: ObjectId; offset: number }[] = [];
  readonly #stage = Buffer.allocUnsafe(WRITE_BYTES);
  #staged = 0;
  #size = 0;
  #open = true;
  #unsynced = 0;
  /** The fsync started on the way, if one is running. */
  #syncing: Promise<void> | null = null;
  /** The first failure of an fsync made on the way, which finish reports. */
  #syncFailure: unknown = undefined;

  /** Starts a pack in `dir`, which must exist (mode 0700). */
  constructor(dir: string) {
    this.#dir = dir;
    this.#temp = tempName(dir, 'pack');
    // Blocking calls: objects are small and many; see ObjectDatabase.readRaw.
    this.#fd = openSync(this.#temp, 'wx', FILE_MODE);
    this.#append(packHeader());
  }

  get count(): number {
    return this.#entries.length;
  }

  /** Appends an object; the caller has checked that `bytes` hash to `id` and that it is not stored yet. */
  add(id: ObjectId, bytes: Uint8Array): void {
    if (!this.#open) throw new Error('pack already finished');
    if (this.#entries.length >= MAX_PACK_OBJECTS) {
      throw new EnvSyncError('E_OBJECT_TOO_LARGE', `a pack holds at most ${MAX_PACK_OBJECTS} objects`);
    }
    this.#entries.push({ id, offset: this.#size });
    if (this.#staged + ENTRY_HEADER_BYTES > this.#stage.length) this.#flush();
    this.#stage.writeUInt32BE(bytes.length, this.#staged);
    this.#staged += ENTRY_HEADER_BYTES;
    this.#size += ENTRY_HEADER_BYTES;
    this.#append(bytes);
  }

  /**
   * Writes the trailer and the index, makes both durable and renames them into place (pack first).
   * Returns the pack's name (`pack-<checksum hex>`).
   */
  async finish(): Promise<string> {
    this.#flush(false);
    const checksum = this.#hash.digest();
    writeAll(this.#fd, checksum, this.#temp);
    this.#open = false;
    const name = `pack-${checksum.toString('hex')}`;
    const indexTemp = tempName(this.#dir, 'idx');
    // The pack is fsynced while the index is written and fsynced: both are durable before either is renamed.
    const packSynced = Promise.all([this.#syncing, fsyncAsync(this.#fd)]).then(() => {
      if (this.#syncFailure !== undefined) throw this.#syncFailure;
    });
    packSynced.catch(() => {}); // awaited below, where a failure surfaces
    try {
      const fd = openSync(indexTemp, 'wx', FILE_MODE);
      try {
        writeAll(fd, encodeIndex(this.#entries, checksum), indexTemp);
        await fsyncAsync(fd);
      } finally {
        closeSync(fd);
      }
      await packSynced;
      renameSync(this.#temp, path.join(this.#dir, `${name}.pack`));
      renameSync(indexTemp, path.join(this.#dir, `${name}.idx`));
    } catch (error) {
      await packSynced.catch(() => {}); // the first failure is the one reported
      rmSync(indexTemp, { force: true });
      rmSync(this.#temp, { force: true });
      throw error;
    } finally {
      closeSync(this.#fd);
    }
    await fsyncDirectory(this.#dir);
    return name;
  }

  /** Drops the unfinished pack. */
  abort(): void {
    if (this.#open) {
      // Not under an fsync still running on the thread pool: the number could name another file by then.
      const fd = this.#fd;
      if (this.#syncing === null) closeSync(fd);
      else void this.#syncing.then(() => closeSync(fd)).catch(() => {}); // #syncing keeps its own failure
    }
    this.#open = false;
    rmSync(this.#temp, { force: true });
  }

  /** Stages `bytes`; what is staged is hashed and written in one piece (a hash update per object costs more). */
  #append(bytes: Uint8Array): void {
    if (!this.#open) throw new Error('pack already finished');
    this.#size += bytes.length;
    if (this.#staged + bytes.length > this.#stage.length) this.#flush();
    if (bytes.length >= this.#stage.length) {
      this.#hash.update(bytes);
      writeAll(this.#fd, bytes, this.#temp);
      this.#unsynced += bytes.length;
    } else {
      this.#stage.set(bytes, this.#staged);
      this.#staged += bytes.length;
    }
  }

  #flush(syncOnTheWay = true): void {
    const staged = this.#stage.subarray(0, this.#staged);
    this.#hash.update(staged);
    writeAll(this.#fd, staged, this.#temp);
    this.#unsynced += staged.length;
    this.#staged = 0;
    if (syncOnTheWay && this.#unsynced >= SYNC_EVERY_BYTES && this.#syncing === null) {
      this.#unsynced = 0;
      const syncing = fsyncAsync(this.#fd)
        .catch((error: unknown) => {
          // Kept for finish: after a failed fsync, Linux may report the next one clean with the data lost.
          this.#syncFailure ??= error;
        })
        .finally(() => {
          if (this.#syncing === syncing) this.#syncing = null;
        });
      this.#syncing = syncing;
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array, file: string): void {
  try {
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
  } catch (error) {
    throw withPath(error, file);
  }
}

function tempName(dir: string, kind: string): string {
  return path.join(dir, `${kind}.tmp-${randomBytes(6).toString('hex')}`);
}
