// Streams a pack (docs/protocol.md#pack): a `pack` frame, then, brotli-compressed, one `object` frame per
// object in dependency order and a closing `done` summary.

import type { Writable } from 'node:stream';
import type zlib from 'node:zlib';
import { isEnvSyncError } from '../errors.ts';
import { idToBytes, type ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { createCompressor, flushCompressor } from './compression.ts';
import { encodeFrame } from './frames.ts';
import { errorFrame } from './messages.ts';
import { endStream, writeChunk } from './stream-write.ts';

/**
 * Frames are written to the compressor in batches of about this many bytes (each write is a round trip
 * through libuv's thread pool), and the compressor is flushed after each, so that the receiver verifies
 * objects while later ones are still being read here.
 */
const BATCH_BYTES = 256 * 1024;

export interface PackStats {
  readonly objects: number;
  readonly bytes: number;
}

/**
 * Writes the pack and ends `output`. A failure mid-pack is sent to the peer as an `error` frame. `verify`
 * hashes every object against its id before sending it: a live peer checks every object it receives, so
 * only a pack written for later (a bundle) needs it, as git sends packed data without re-hashing it.
 */
export async function writePack(
  repo: Repository,
  ids: readonly ObjectId[],
  output: Writable,
  options: { readonly verify?: boolean } = {},
): Promise<PackStats> {
  await writeChunk(output, encodeFrame({ type: 'pack', objects: ids.length }));
  const compressor = createCompressor();
  const piped = pipeInto(compressor, output);
  piped.catch(() => {});
  let bytes = 0;
  try {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const writeBatch = async () => {
      await writeChunk(compressor, Buffer.concat(batch, batchBytes));
      await flushCompressor(compressor);
      batch = [];
      batchBytes = 0;
    };
    for (const id of ids) {
      const data = options.verify ? await repo.objects.readRaw(id) : await repo.objects.readUnverified(id);
      bytes += data.length;
      const frame = encodeFrame({ type: 'object', id: idToBytes(id), data });
      batch.push(frame);
      batchBytes += frame.length;
      if (batchBytes >= BATCH_BYTES) await writeBatch();
    }
    const done = encodeFrame({ type: 'done', objects: ids.length, bytes });
    batch.push(done);
    batchBytes += done.length;
    await writeBatch();
  } catch (error) {
    const message = isEnvSyncError(error) ? error.message : 'internal error while sending objects';
    if (!compressor.destroyed) compressor.write(encodeFrame(errorFrame(message)));
    await endStream(compressor).catch(() => {});
    await piped.catch(() => {});
    throw error;
  }
  await endStream(compressor);
  await piped;
  return { objects: ids.length, bytes };
}

/** Pipes the compressor into `output` and ends `output` when the compressor finishes. */
async function pipeInto(compressor: zlib.BrotliCompress, output: Writable): Promise<void> {
  for await (const chunk of compressor) await writeChunk(output, chunk as Buffer);
  await endStream(output);
}
