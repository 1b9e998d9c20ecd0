// Receives a pack from an untrusted peer: every object is hashed, decoded by the store's one decoder, checked
// against the limits and stored only once everything it refers to is stored; the tips must arrive; nothing
// unasked-for is accepted.

import { isEnvSyncError } from '../errors.ts';
import type { ObjectBatch } from '../store/object-database.ts';
import { hashObjectBytes, idFromBytes, type ObjectId, shortId } from '../store/object-id.ts';
import { referencesOf } from '../store/object-references.ts';
import { decodeObject, type ObjectType, type StoredObject } from '../store/objects.ts';
import type { Repository } from '../store/repository.ts';
import { decompressedReader } from './compression.ts';
import type { Frame, FrameReader } from './frames.ts';
import { type SyncLimits, type UnpackService, unpackLimitFromConfig } from './limits.ts';

export interface PackTip {
  /** What the tip is, for messages: a ref name. */
  readonly name: string;
  readonly id: ObjectId;
  readonly type: ObjectType;
}

export interface ReceivedPack {
  /** Objects in the pack (including any this repository already had). */
  readonly objects: number;
  /** Bytes of the pack after decompression. */
  readonly bytes: number;
  readonly ids: ReadonlySet<ObjectId>;
  /** The bytes of the membership events received (hash-checked and valid), for the check before refs move. */
  readonly events: ReadonlyMap<ObjectId, Uint8Array>;
}

/**
 * Reads a `pack` frame and the objects after it into `repo`: loose objects for a small pack, one new pack file
 * otherwise (`fetch.unpackLimit`, `receive.unpackLimit`). When this returns, every tip is stored with
 * everything it refers to, durably; the caller may move refs. On any error no ref has moved, and what was
 * stored is unreferenced and valid (an unfinished pack file is deleted).
 */
export async function receivePack(
  repo: Repository,
  reader: FrameReader,
  limits: SyncLimits,
  tips: readonly PackTip[],
  service: UnpackService,
): Promise<ReceivedPack> {
  const announced = await readPackHeader(reader, limits);
  const batch = repo.objects.startBatch(announced, unpackLimitFromConfig(repo.config, service));
  const frames = decompressedReader(reader, limits);
  const received = new ReceivedObjects(repo, batch, frames);
  try {
    await readObjects(frames, announced, limits, received);
    await received.checkTips(tips);
    await batch.finish();
  } catch (error) {
    batch.abort();
    throw error;
  }
  return received.summary();
}

/** The object count the `pack` frame announces, within `sync.maxObjects`. */
async function readPackHeader(reader: FrameReader, limits: SyncLimits): Promise<number> {
  const header = await reader.expect('pack');
  const announced = header.objects;
  if (typeof announced !== 'number' || !Number.isSafeInteger(announced) || announced < 0) {
    throw reader.error('sent a pack header without an object count');
  }
  if (announced > limits.maxObjects) {
    throw reader.error(`offered ${announced} objects; the limit is ${limits.maxObjects} (sync.maxObjects)`);
  }
  return announced;
}

/** Reads `object` frames into `received` up to the `done` frame, which must close the stream. */
async function readObjects(
  frames: FrameReader,
  announced: number,
  limits: SyncLimits,
  received: ReceivedObjects,
): Promise<void> {
  for (;;) {
    const frame = await frames.next();
    if (frame === null) throw frames.error('ended the pack without its summary (connection cut?)');
    if (frame.type === 'done') {
      if (frame.objects !== received.count || received.count !== announced) {
        throw frames.error(`announced ${announced} objects but sent ${received.count}`);
      }
      if ((await frames.next()) !== null) throw frames.error('sent data after the pack summary');
      return;
    }
    if (received.count === announced)
      throw frames.error(`sent more objects than the ${announced} it announced`);
    await received.add(objectFrame(frame, limits, frames));
  }
}

/** The id and bytes of an `object` frame, the bytes within `sync.maxObjectBytes` and hashing to the id. */
function objectFrame(
  frame: Frame,
  limits: SyncLimits,
  frames: FrameReader,
): { id: ObjectId; data: Uint8Array } {
  if (frame.type !== 'object')
    throw frames.error(`sent a '${String(frame.type).slice(0, 20)}' frame inside a pack`);
  const { id, data } = frame;
  if (!(id instanceof Uint8Array) || id.length !== 32 || !(data instanceof Uint8Array)) {
    throw frames.error('sent a malformed object frame');
  }
  if (data.length > limits.maxObjectBytes) {
    throw frames.error(
      `sent a ${data.length}-byte object; the limit is ${limits.maxObjectBytes} (sync.maxObjectBytes)`,
    );
  }
  const expected = idFromBytes(id, 'object frame');
  const actual = hashObjectBytes(data);
  if (actual !== expected)
    throw frames.error(`sent object ${shortId(expected)} whose bytes hash to ${shortId(actual)}`);
  return { id: expected, data };
}

/** The objects of one pack as they arrive: their types and links, checked and stored one by one. */
class ReceivedObjects {
  readonly #repo: Repository;
  readonly #batch: ObjectBatch;
  readonly #frames: FrameReader;
  readonly #types = new Map<ObjectId, ObjectType>();
  readonly #links = new Map<ObjectId, ObjectId[]>();
  readonly #events = new Map<ObjectId, Uint8Array>();
  #bytes = 0;
  count = 0;

  constructor(repo: Repository, batch: ObjectBatch, frames: FrameReader) {
    this.#repo = repo;
    this.#batch = batch;
    this.#frames = frames;
  }

  /**
   * Decodes `data` (the store's decoder: canonical encoding, known type, every field's rules), checks that
   * everything it refers to is stored with the right type, then stores it.
   */
  async add({ id, data }: { id: ObjectId; data: Uint8Array }): Promise<void> {
    this.count += 1;
    let object: StoredObject;
    try {
      object = decodeObject(data, `object ${shortId(id)}`);
    } catch (error) {
      throw this.#frames.error(
        `sent an invalid object: ${isEnvSyncError(error) ? error.message : 'undecodable'}`,
      );
    }
    const refs = referencesOf(object);
    for (const ref of refs) {
      const type = await this.typeOf(ref.id);
      if (type === null) {
        throw this.#frames.error(
          `sent ${object.type} ${shortId(id)} before ${shortId(ref.id)}, which it refers to`,
        );
      }
      if (type !== ref.type) {
        throw this.#frames.error(
          `sent ${object.type} ${shortId(id)} referring to ${shortId(ref.id)}, a ${type}, as a ${ref.type}`,
        );
      }
    }
    // Objects arrive in dependency order, so loose writes (a small batch) never leave an object whose
    // references are missing.
    await this.#batch.add(id, data);
    if (object.type === 'event') this.#events.set(id, data);
    this.#types.set(id, object.type);
    this.#links.set(
      id,
      refs.map((ref) => ref.id),
    );
    this.#bytes += data.length;
  }

  /** The type of an object received in this pack or held before; null when it is neither. */
  async typeOf(id: ObjectId): Promise<ObjectType | null> {
    const known = this.#types.get(id);
    if (known !== undefined) return known;
    if (!(await this.#repo.objects.has(id))) return null;
    return (await this.#repo.objects.read(id)).type;
  }

  /** Every tip is stored with its advertised type, and every received object is reachable from one. */
  async checkTips(tips: readonly PackTip[]): Promise<void> {
    for (const tip of tips) {
      const type = await this.typeOf(tip.id);
      if (type === null)
        throw this.#frames.error(`advertised ${tip.name} at ${shortId(tip.id)} but never sent that object`);
      if (type !== tip.type)
        throw this.#frames.error(
          `advertised ${tip.name} at ${shortId(tip.id)}, a ${type}, not a ${tip.type}`,
        );
    }
    const reached = new Set<ObjectId>();
    const stack = tips.map((tip) => tip.id).filter((id) => this.#types.has(id));
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (reached.has(id)) continue;
      reached.add(id);
      for (const next of this.#links.get(id) ?? [])
        if (this.#types.has(next) && !reached.has(next)) stack.push(next);
    }
    const unasked = this.#types.size - reached.size;
    if (unasked > 0) throw this.#frames.error(`sent ${unasked} object(s) nobody asked for`);
  }

  summary(): ReceivedPack {
    return {
      objects: this.count,
      bytes: this.#bytes,
      ids: new Set(this.#types.keys()),
      events: this.#events,
    };
  }
}
