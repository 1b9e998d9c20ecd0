// Object storage: loose objects (objects/<2 hex>/<62 hex>, mode 0600) and packs (objects/pack/), immutable once
// written. Every read re-hashes and decodes (readUnverified, for sending to a peer that checks, only reads);
// every write is atomic and idempotent. Loose-file reads and listings are in loose-objects.ts.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { EnvSyncError } from '../errors.ts';
import {
  FILE_MODE,
  fsyncDirectory,
  fsyncFile,
  makeDirectory,
  writeFileAtomic,
  writeFileAtomicUnsyncedSync,
} from './fs-atomic.ts';
import { findLooseByPrefix, listLooseIds, readLooseSync } from './loose-objects.ts';
import { hashObjectBytes, type ObjectId, shortId } from './object-id.ts';
import {
  type CommitObject,
  decodeObject,
  type EventObject,
  encodeObject,
  type ObjectType,
  type SnapshotObject,
  type StoredObject,
} from './objects.ts';
import { PackBuilder } from './pack-builder.ts';
import { PackSet } from './pack-set.ts';

export interface ObjectTypeMap {
  snapshot: SnapshotObject;
  commit: CommitObject;
  event: EventObject;
}

/**
 * Objects received together (a fetched or pushed pack), each already hashed to its id and decoded by the
 * caller: they are stored without being verified again. Nothing may refer to them before `finish`.
 */
export interface ObjectBatch {
  add(id: ObjectId, bytes: Uint8Array): Promise<void>;
  /** Makes every added object durable and readable. */
  finish(): Promise<void>;
  /** Gives up: a pack being written is deleted; loose objects already written stay (complete, unreferenced). */
  abort(): void;
}

export class ObjectDatabase {
  readonly #dir: string;
  readonly #knownFanout = new Set<string>();
  readonly #packs: PackSet;

  constructor(objectsDir: string) {
    this.#dir = objectsDir;
    this.#packs = new PackSet(this.packDir);
  }

  get packDir(): string {
    return path.join(this.#dir, 'pack');
  }

  pathOf(id: ObjectId): string {
    return path.join(this.#dir, id.slice(0, 2), id.slice(2));
  }

  /**
   * Stores an object and returns its id. Writing an object that exists is a no-op. With `durable: false`
   * (a batch) the write is not fsynced: call `syncObjects` on those ids before any ref points at them.
   */
  async write(object: StoredObject, options: { readonly durable?: boolean } = {}): Promise<ObjectId> {
    const bytes = encodeObject(object);
    const id = hashObjectBytes(bytes);
    await this.#writeVerified(id, bytes, options.durable ?? true);
    return id;
  }

  /**
   * Stores bytes received from elsewhere after verifying them; returns the decoded object. With
   * `durable: false` the write is not fsynced: call `syncObjects` on those ids before any ref points at them.
   */
  async writeRaw(
    bytes: Uint8Array,
    expected?: ObjectId,
    options: { readonly durable?: boolean } = {},
  ): Promise<{ id: ObjectId; object: StoredObject }> {
    const id = hashObjectBytes(bytes);
    if (expected !== undefined && id !== expected) {
      throw new EnvSyncError('E_OBJECT_CORRUPT', `object ${shortId(expected)}: bytes hash to ${shortId(id)}`);
    }
    const object = decodeObject(bytes, `object ${shortId(id)}`);
    await this.#writeVerified(id, bytes, options.durable ?? true);
    return { id, object };
  }

  /**
   * A batch for `count` objects the caller verifies: like git's `unpackLimit`, fewer than `unpackLimit` are
   * written loose (no fsync until `finish`), more go into one new pack.
   */
  startBatch(count: number, unpackLimit: number): ObjectBatch {
    return count >= unpackLimit && count > 0 ? this.#packBatch() : this.#looseBatch();
  }

  #looseBatch(): ObjectBatch {
    const ids: ObjectId[] = [];
    return {
      add: async (id, bytes) => {
        // An object found in a pack is already durable: only loose files need the fsync.
        if (await this.#writeVerified(id, bytes, false)) ids.push(id);
      },
      finish: () => this.syncObjects(ids),
      abort: () => {},
    };
  }

  #packBatch(): ObjectBatch {
    let builder: PackBuilder | null = null;
    const added = new Set<ObjectId>();
    return {
      add: async (id, bytes) => {
        // Repeats and objects in a pack this process has loaded are not written twice. Loose files are not
        // looked for: a stat per object cost more than the rare duplicate (readers look loose first anyway).
        if (added.has(id) || this.#packs.hasLoaded(id)) return;
        if (builder === null) {
          await makeDirectory(this.packDir);
          builder = new PackBuilder(this.packDir);
        }
        builder.add(id, bytes);
        added.add(id);
      },
      finish: async () => {
        if (builder === null) return;
        // objects/ holds the entry of objects/pack/ (made before the first object was added): its fsync need
        // not wait for the pack's.
        // Both settle before anything is reported: abort must never remove a pack finish is still renaming.
        const [pack, directory] = await Promise.allSettled([builder.finish(), this.sync()]);
        builder = null;
        if (pack.status === 'rejected') throw pack.reason;
        this.#packs.add(pack.value);
        if (directory.status === 'rejected') throw directory.reason;
      },
      abort: () => builder?.abort(),
    };
  }

  /** Stores verified bytes unless already stored; true when the object is a loose file, false when packed. */
  async #writeVerified(id: ObjectId, bytes: Uint8Array, durable = true): Promise<boolean> {
    const file = this.pathOf(id);
    if (existsSync(file)) {
      // It may be the leftover of a batch that never reached syncObjects: a durable write must not trust it.
      if (durable) await fsyncFile(file);
      return true;
    }
    // Packs are durable before they are renamed into place.
    if (this.#packs.has(id)) return false;
    const fanout = path.dirname(file);
    if (!this.#knownFanout.has(fanout)) {
      await makeDirectory(fanout);
      this.#knownFanout.add(fanout);
    }
    if (durable) await writeFileAtomic(file, bytes, FILE_MODE);
    else writeFileAtomicUnsyncedSync(file, bytes, FILE_MODE);
    return true;
  }

  /** Makes objects written with `durable: false` durable: fsyncs each file, its fan-out directory and objects/. */
  async syncObjects(ids: Iterable<ObjectId>, concurrency = 8): Promise<void> {
    const files = [...ids].map((id) => this.pathOf(id));
    // Files and directories alike, `concurrency` at a time: every one is durable before this returns, and the
    // order among them does not matter (nothing refers to the objects yet).
    const syncs = [
      ...files.map((file) => () => fsyncFile(file)),
      ...[...new Set(files.map((file) => path.dirname(file))), this.#dir].map(
        (dir) => () => fsyncDirectory(dir),
      ),
    ];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < syncs.length) await syncs[next++]!();
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, syncs.length) }, worker));
  }

  /**
   * Packs already loaded are looked up first (in memory), then loose files, then packs not loaded yet: a cold
   * command that finds its objects loose never reads an index, and one whose objects are packed stops
   * looking for loose files once the index is loaded. Reads follow the same order.
   */
  async has(id: ObjectId): Promise<boolean> {
    return this.#packs.hasLoaded(id) || existsSync(this.pathOf(id)) || this.#packs.has(id);
  }

  /**
   * The exact stored bytes, verified against the id. Blocking reads: objects are small and a synchronous
   * read costs a fraction of four thread-pool round trips (open, stat, read, close; bench/store.mjs).
   */
  async readRaw(id: ObjectId): Promise<Uint8Array> {
    const bytes = await this.readUnverified(id);
    const actual = hashObjectBytes(bytes);
    if (actual !== id) {
      throw new EnvSyncError(
        'E_OBJECT_CORRUPT',
        `object ${shortId(id)} is corrupt: its bytes hash to ${shortId(actual)}`,
      );
    }
    return bytes;
  }

  /**
   * The exact stored bytes, not checked against the id: for sending them to a peer, which checks every object
   * it receives (docs/protocol.md#receiving-a-pack), as git sends packed data without re-hashing it.
   */
  async readUnverified(id: ObjectId): Promise<Uint8Array> {
    const bytes =
      this.#packs.readLoaded(id) ??
      readLooseSync(this.pathOf(id), `object ${shortId(id)}`) ??
      this.#packs.read(id);
    if (bytes === null) throw new EnvSyncError('E_OBJECT_MISSING', `object ${shortId(id)} is missing`);
    return bytes;
  }

  async read(id: ObjectId): Promise<StoredObject> {
    return decodeObject(await this.readRaw(id), `object ${shortId(id)}`);
  }

  async readTyped<T extends ObjectType>(id: ObjectId, type: T): Promise<ObjectTypeMap[T]> {
    const object = await this.read(id);
    if (object.type !== type) {
      throw new EnvSyncError(
        'E_OBJECT_TYPE',
        `object ${shortId(id)} is a ${object.type}, expected a ${type}`,
      );
    }
    return object as ObjectTypeMap[T];
  }

  /** Every object id, loose then packed, each once. Stray files are reported by fsck, not here. */
  async *list(): AsyncGenerator<ObjectId> {
    const seen = new Set<ObjectId>();
    for await (const id of this.listLoose()) {
      seen.add(id);
      yield id;
    }
    for (const id of this.#packs.ids()) {
      if (seen.has(id)) continue;
      seen.add(id);
      yield id;
    }
  }

  /** Every loose object id, sorted. */
  listLoose(): AsyncGenerator<ObjectId> {
    return listLooseIds(this.#dir);
  }

  /** Ids starting with a hex prefix (at least 4 characters), for rev-parse. */
  async findByPrefix(prefix: string): Promise<ObjectId[]> {
    const loose = await findLooseByPrefix(this.#dir, prefix);
    return [...new Set([...loose, ...this.#packs.findByPrefix(prefix)])].sort();
  }

  async sync(): Promise<void> {
    await fsyncDirectory(this.#dir);
  }
}
