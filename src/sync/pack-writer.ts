// Streams a pack (docs/protocol.md#pack): a `pack` frame, then, compressed as negotiated, one `object` frame
// per object in dependency order and a closing `done` summary. Reads run a few objects ahead of the socket.

import type { Writable } from 'node:stream';
import { isEnvSyncError } from '../errors.ts';
import { idToBytes, type ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { type Compression, createCompressor, flushCompressor } from './compression.ts';
import { encodeFrame } from './frames.ts';
import { errorFrame } from './messages.ts';
import { endStream, writeChunk } from './stream-write.ts';

const READ_AHEAD = 16;
const BATCH_BYTES = 256 * 1024;

export interface PackStats {
  readonly objects: number;
  readonly bytes: number;
}

/** Writes the pack and ends `output`. A failure mid-pack is sent to the peer as an `error` frame. */
export async function writePack(
  repo: Repository,
  ids: readonly ObjectId[],
  output: Writable,
  compression: Compression,
  base: ObjectId | null = null,
): Promise<PackStats> {
  // A base is a snapshot both sides hold; its bytes prime the deflate dictionary (docs/protocol.md#compression).
  const dictionary = base === null ? undefined : await repo.objects.readRaw(base);
  await writeChunk(output, encodeFrame({ type: 'pack', compression, objects: ids.length, base }));
  const compressor = createCompressor(compression, dictionary);
  const sink = compressor ?? output;
  const flushed = compressor === null ? Promise.resolve() : pipeInto(compressor, output);
  let bytes = 0;
  try {
    const pending: Promise<Uint8Array>[] = [];
    let next = 0;
    const refill = () => {
      while (pending.length < READ_AHEAD && next < ids.length) {
        const read = repo.objects.readRaw(ids[next++]!);
        read.catch(() => {});
        pending.push(read);
      }
    };
    // Frames are written in batches: each write into a compressor is a round trip through libuv's thread pool.
    // Each batch is flushed so that the receiver verifies objects while later ones are still being read here.
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const writeBatch = async () => {
      await writeChunk(sink, batch.length === 1 ? batch[0]! : Buffer.concat(batch));
      batch = [];
      batchBytes = 0;
    };
    for (const id of ids) {
      refill();
      const data = await pending.shift()!;
      bytes += data.length;
      const frame = encodeFrame({ type: 'object', id: idToBytes(id), data });
      batch.push(frame);
      batchBytes += frame.length;
      if (batchBytes >= BATCH_BYTES) {
        await writeBatch();
        if (compressor !== null) await flushCompressor(compressor);
      }
    }
    batch.push(encodeFrame({ type: 'done', objects: ids.length, bytes }));
    await writeBatch();
  } catch (error) {
    const message = isEnvSyncError(error) ? error.message : 'internal error while sending objects';
    if (!sink.destroyed) sink.write(encodeFrame(errorFrame(message)));
    await endStream(sink).catch(() => {});
    await flushed.catch(() => {});
    throw error;
  }
  await endStream(sink);
  await flushed;
  return { objects: ids.length, bytes };
}

/** Pipes a compressor into `output` and ends `output` when the compressor finishes. */
async function pipeInto(compressor: NodeJS.ReadWriteStream & Writable, output: Writable): Promise<void> {
  for await (const chunk of compressor) await writeChunk(output, chunk as Buffer);
  await endStream(output);
}
