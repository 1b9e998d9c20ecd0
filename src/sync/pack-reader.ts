// Receives a pack from an untrusted peer: every object is hashed, decoded, checked against the limits and
// stored only once everything it refers to is stored; the tips must arrive; nothing unasked-for is accepted.

import { isEnvSyncError } from '../errors.ts';
import { hashObjectBytes, idFromBytes, isObjectId, type ObjectId, shortId } from '../store/object-id.ts';
import type { ObjectType } from '../store/objects.ts';
import type { Repository } from '../store/repository.ts';
import { decompressedReader, isCompression } from './compression.ts';
import { applyDelta, DeltaOutput } from './delta.ts';
import type { FrameReader } from './frames.ts';
import { type SyncLimits, type UnpackService, unpackLimitFromConfig } from './limits.ts';
import { type CheckedObject, checkObject, PlainSnapshotChecker } from './object-check.ts';
import { graphNode, holds } from './object-graph.ts';
import type { SharedBytes } from './shared-bytes.ts';

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
  options: { readonly deltaFrames?: boolean } = {},
): Promise<ReceivedPack> {
  const unpackLimit = unpackLimitFromConfig(repo.config, service);
  const header = await reader.expect('pack');
  if (!isCompression(header.compression)) throw reader.error('sent a pack with an unknown compression');
  const announced = header.objects;
  if (typeof announced !== 'number' || !Number.isSafeInteger(announced) || announced < 0) {
    throw reader.error('sent a pack header without an object count');
  }
  if (announced > limits.maxObjects) {
    throw reader.error(`offered ${announced} objects; the limit is ${limits.maxObjects} (sync.maxObjects)`);
  }
  let dictionary: Uint8Array | undefined;
  if (header.base !== undefined && header.base !== null) {
    const base = header.base;
    if (typeof base !== 'string' || !isObjectId(base) || header.compression !== 'deflate') {
      throw reader.error('sent a pack header with a malformed base');
    }
    if (!(await repo.objects.has(base)))
      throw reader.error(`based its pack on ${shortId(base)}, which we do not have`);
    dictionary = await repo.objects.readRaw(base);
  }
  const batch = repo.objects.startBatch(announced, unpackLimit);
  const frames = decompressedReader(reader, header.compression, limits, dictionary);
  const types = new Map<ObjectId, ObjectType>();
  const events = new Map<ObjectId, Uint8Array>();
  const links = new Map<ObjectId, ObjectId[]>();
  const snapshots = new PlainSnapshotChecker();
  const typeOf = async (id: ObjectId): Promise<ObjectType | null> => {
    const known = types.get(id);
    if (known !== undefined) return known;
    if (!(await holds(repo.objects, id))) return null;
    return (await graphNode(repo.objects, id)).type;
  };
  let count = 0;
  let bytes = 0;
  // The base of a delta frame: the last snapshot received before it.
  let lastSnapshot: Uint8Array | null = null;
  const deltaOutput = new DeltaOutput();
  let keptBytes = 0;
  const readObjects = async (): Promise<void> => {
    for (;;) {
      const frame = frames.nextBuffered() ?? (await frames.next());
      if (frame === null) throw frames.error('ended the pack without its summary (connection cut?)');
      if (frame.type === 'done') {
        if (frame.objects !== count || count !== announced) {
          throw frames.error(`announced ${announced} objects but sent ${count}`);
        }
        if ((await frames.next()) !== null) throw frames.error('sent data after the pack summary');
        break;
      }
      if (frame.type !== 'object' && (frame.type !== 'delta' || options.deltaFrames !== true))
        throw frames.error(`sent a '${String(frame.type).slice(0, 20)}' frame inside a pack`);
      count += 1;
      if (count > announced) throw frames.error(`sent more objects than the ${announced} it announced`);
      const { id } = frame;
      let { data } = frame;
      let shared: SharedBytes | undefined;
      if (frame.type === 'delta') {
        if (lastSnapshot === null) throw frames.error('sent a delta frame before any snapshot');
        // The object is built in memory that held an earlier one: the checker keeps no other.
        snapshots.keepOnly(lastSnapshot);
        const applied = applyDelta(frame, lastSnapshot, deltaOutput, limits.maxObjectBytes, (detail) =>
          frames.error(detail),
        );
        // Frames count against sync.maxTotalBytes as they arrive (decompressed); the bytes a delta keeps of
        // its base, here, against the same budget: what is stored never exceeds it.
        keptBytes += applied.shared.head + applied.shared.tail;
        data = applied.data;
        shared = applied.shared;
        if (frames.totalBytes + keptBytes > limits.maxTotalBytes) {
          throw frames.error(`sent more than ${limits.maxTotalBytes} bytes (sync.maxTotalBytes)`);
        }
      }
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
      if (actual !== expected) {
        throw frames.error(`sent object ${shortId(expected)} whose bytes hash to ${shortId(actual)}`);
      }
      let object: CheckedObject;
      try {
        object = checkObject(data, `object ${shortId(expected)}`, snapshots, shared);
      } catch (error) {
        throw frames.error(
          `sent an invalid object: ${isEnvSyncError(error) ? error.message : 'undecodable'}`,
        );
      }
      const refs = object.refs;
      for (const ref of refs) {
        const type = types.get(ref.id) ?? (await typeOf(ref.id));
        if (type === null) {
          throw frames.error(
            `sent ${object.type} ${shortId(expected)} before ${shortId(ref.id)}, which it refers to`,
          );
        }
        if (type !== ref.type) {
          throw frames.error(
            `sent ${object.type} ${shortId(expected)} referring to ${shortId(ref.id)}, a ${type}, as a ${ref.type}`,
          );
        }
      }
      // Hashed and decoded once, above: the batch stores the bytes as they are. Objects arrive in dependency
      // order, so loose writes (a small batch) never leave an object whose references are missing.
      await batch.add(expected, data);
      // A copy: `data` may be a view of a larger decompressed chunk, which it would keep alive.
      if (object.type === 'event') events.set(expected, data.slice());
      types.set(expected, object.type);
      links.set(
        expected,
        refs.map((ref) => ref.id),
      );
      bytes += data.length;
      if (object.type === 'snapshot') lastSnapshot = data;
    }
  };
  try {
    await readObjects();
    for (const tip of tips) {
      const type = await typeOf(tip.id);
      if (type === null)
        throw frames.error(`advertised ${tip.name} at ${shortId(tip.id)} but never sent that object`);
      if (type !== tip.type)
        throw frames.error(`advertised ${tip.name} at ${shortId(tip.id)}, a ${type}, not a ${tip.type}`);
    }
    const unasked = countUnreachable(types, links, tips);
    if (unasked > 0) throw frames.error(`sent ${unasked} object(s) nobody asked for`);
    await batch.finish();
  } catch (error) {
    batch.abort();
    throw error;
  }
  return { objects: count, bytes, ids: new Set(types.keys()), events };
}

/** Received objects not reachable from any tip through other received objects. */
function countUnreachable(
  types: ReadonlyMap<ObjectId, ObjectType>,
  links: ReadonlyMap<ObjectId, readonly ObjectId[]>,
  tips: readonly PackTip[],
): number {
  const reached = new Set<ObjectId>();
  const stack = tips.map((tip) => tip.id).filter((id) => types.has(id));
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    for (const next of links.get(id) ?? []) if (types.has(next) && !reached.has(next)) stack.push(next);
  }
  return types.size - reached.size;
}
