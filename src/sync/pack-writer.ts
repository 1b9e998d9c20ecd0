// Streams a pack (docs/protocol.md#pack): a `pack` frame, then, brotli-compressed, one `object` frame per
// object in dependency order and a closing `done` summary.

import type { Writable } from 'node:stream';
import type zlib from 'node:zlib';
import { isEnvSyncError } from '../errors.ts';
import { idToBytes, type ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { createCompressor } from './compression.ts';
import { encodeFrame } from './frames.ts';
import { errorFrame } from './messages.ts';
import { endStream, writeChunk } from './stream-write.ts';

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
    for (const id of ids) {
      const data = options.verify ? await repo.objects.readRaw(id) : await repo.objects.readUnverified(id);
      bytes += data.length;
      await writeChunk(compressor, encodeFrame({ type: 'object', id: idToBytes(id), data }));
    }
    await writeChunk(compressor, encodeFrame({ type: 'done', objects: ids.length, bytes }));
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
