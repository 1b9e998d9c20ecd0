// Streams a pack (docs/protocol.md#pack): a `pack` frame, then, compressed as negotiated, one `object` frame
// per object in dependency order and a closing `done` summary.

import type { Writable } from 'node:stream';
import { isEnvSyncError } from '../errors.ts';
import { idToBytes, type ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { type Compression, type Compressor, createCompressor, flushCompressor } from './compression.ts';
import { deltaFrame, isSnapshotBytes } from './delta.ts';
import { encodeFrame, objectFrameHeader } from './frames.ts';
import { errorFrame } from './messages.ts';
import type { ObjectCache } from './object-cache.ts';
import { endStream, writeChunk } from './stream-write.ts';

const BATCH_BYTES = 256 * 1024;
/** The first batch is smaller: the receiver starts on it while the sender compresses the next. */
const FIRST_BATCH_BYTES = 32 * 1024;
/** Room for a batch and the object that takes it past BATCH_BYTES, for all but unusually large objects. */
const STAGE_BYTES = 2 * BATCH_BYTES;

export interface PackStats {
  readonly objects: number;
  readonly bytes: number;
}

export interface PackOptions {
  /** A snapshot both sides hold, to prime the deflate dictionary (docs/protocol.md#compression). */
  readonly base?: ObjectId | null;
  /**
   * Hash every object against its id before sending it. A live peer checks every object it receives, so
   * only a pack written for later (a bundle) needs it; git likewise sends packed data without re-hashing it.
   */
  readonly verify?: boolean;
  /** A long-running server's cache of recently sent objects, read before the store and filled from it. */
  readonly cache?: ObjectCache;
  /** The receiver reads `delta` frames: a snapshot may be sent as its difference from the one before it. */
  readonly deltaFrames?: boolean;
}

/** Writes the pack and ends `output`. A failure mid-pack is sent to the peer as an `error` frame. */
export async function writePack(
  repo: Repository,
  ids: readonly ObjectId[],
  output: Writable,
  compression: Compression,
  options: PackOptions = {},
): Promise<PackStats> {
  const base = options.base ?? null;
  const dictionary = base === null ? undefined : await repo.objects.readRaw(base);
  await writeChunk(output, encodeFrame({ type: 'pack', compression, objects: ids.length, base }));
  // The compressor is made when the first batch is written: the largest object in it sizes brotli's window.
  let compressor: Compressor | null = null;
  let flushed = Promise.resolve();
  let largest = 0;
  const sink = (): Writable => {
    if (compressor === null) {
      compressor = createCompressor(compression, { dictionary, largestObject: largest });
      if (compressor === null) return output;
      flushed = pipeInto(compressor, output);
    }
    return compressor;
  };
  let bytes = 0;
  try {
    // Frames are written in batches: each write into a compressor is a round trip through libuv's thread pool.
    // Each batch is flushed so that the receiver verifies objects while later ones are still being read here.
    // A compressor has read a batch once the flush after it is done, so one staging buffer serves every batch
    // (a fresh 256 KiB buffer per batch cost more in page faults than the copy); a socket keeps what it is
    // given until it is sent, so without compression each batch is a new buffer.
    const stage = compression === 'none' ? null : Buffer.allocUnsafeSlow(STAGE_BYTES);
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    let batchLimit = FIRST_BATCH_BYTES;
    const writeBatch = async () => {
      let chunk: Uint8Array;
      if (batch.length === 1) chunk = batch[0]!;
      else if (stage !== null && batchBytes <= stage.length) {
        let at = 0;
        for (const part of batch) {
          stage.set(part, at);
          at += part.length;
        }
        chunk = stage.subarray(0, batchBytes);
      } else chunk = Buffer.concat(batch, batchBytes);
      await writeChunk(sink(), chunk);
      batch = [];
      batchBytes = 0;
    };
    // The base of a delta frame: the last snapshot sent before it.
    let lastSnapshot: Uint8Array | null = null;
    for (const id of ids) {
      const data = await readForSending(repo, id, options);
      bytes += data.length;
      if (data.length > largest) largest = data.length;
      const snapshot = options.deltaFrames === true && isSnapshotBytes(data);
      const delta = snapshot && lastSnapshot !== null ? deltaFrame(id, data, lastSnapshot) : null;
      if (snapshot) lastSnapshot = data;
      if (delta !== null) {
        const frame = encodeFrame(delta);
        batch.push(frame);
        batchBytes += frame.length;
      } else {
        const header = objectFrameHeader(idToBytes(id), data.length);
        batch.push(header, data);
        batchBytes += header.length + data.length;
      }
      if (batchBytes >= batchLimit) {
        batchLimit = BATCH_BYTES;
        await writeBatch();
        if (compressor !== null) await flushCompressor(compressor);
      }
    }
    const done = encodeFrame({ type: 'done', objects: ids.length, bytes });
    batch.push(done);
    batchBytes += done.length;
    await writeBatch();
  } catch (error) {
    const message = isEnvSyncError(error) ? error.message : 'internal error while sending objects';
    const target = sink();
    if (!target.destroyed) target.write(encodeFrame(errorFrame(message)));
    await endStream(target).catch(() => {});
    await flushed.catch(() => {});
    throw error;
  }
  await endStream(sink());
  await flushed;
  return { objects: ids.length, bytes };
}

async function readForSending(repo: Repository, id: ObjectId, options: PackOptions): Promise<Uint8Array> {
  if (options.verify) return repo.objects.readRaw(id);
  const cached = options.cache?.get(id);
  if (cached !== undefined) return cached;
  const data = await repo.objects.readUnverified(id);
  options.cache?.add(id, data);
  return data;
}

/** Pipes a compressor into `output` and ends `output` when the compressor finishes. */
async function pipeInto(compressor: NodeJS.ReadWriteStream & Writable, output: Writable): Promise<void> {
  for await (const chunk of compressor) await writeChunk(output, chunk as Buffer);
  await endStream(output);
}
