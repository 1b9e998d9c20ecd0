// Pack compression, negotiated as a capability (docs/protocol.md#compression). The compressed section runs
// from after the `pack` frame to the end of the stream; consecutive snapshots are nearly identical, so a
// large-window compressor turns each one into little more than its changed values.

import { Readable, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import { EnvSyncError } from '../errors.ts';
import { FrameReader } from './frames.ts';
import type { SyncLimits } from './limits.ts';

export const COMPRESSIONS = ['brotli', 'deflate', 'none'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export function isCompression(value: unknown): value is Compression {
  return typeof value === 'string' && (COMPRESSIONS as readonly string[]).includes(value);
}

/**
 * Capability for deflate with a preset dictionary: the stored bytes of a snapshot both sides hold (the
 * `base` of the pack header). A small fetch then costs little more than the values that changed.
 */
export const DEFLATE_BASE = 'deflate-base';

/** Capabilities a peer advertises for the compressions it can read and write. */
export function compressionCapabilities(): string[] {
  return [...COMPRESSIONS.filter((name) => name !== 'none').map((name) => `compress-${name}`), DEFLATE_BASE];
}

/** The best compression both sides support. */
export function chooseCompression(theirCapabilities: readonly string[]): Compression {
  for (const name of COMPRESSIONS) {
    if (name === 'none' || theirCapabilities.includes(`compress-${name}`)) return name;
  }
  return 'none';
}

// Brotli quality 4: fast. Quality 5 wrote 1% fewer bytes for nearly twice the CPU (a 9 MB pack in 256 KiB
// flushed batches: 36 against 20 ms at best), paid by a server whose core the fetching client may share.
const BROTLI_QUALITY = 4;
/** 1 MiB: the smallest window brotli is given, enough for environments of up to a few thousand keys. */
const MIN_BROTLI_WINDOW_BITS = 20;

/**
 * Brotli's window (log2 of its size) for a pack whose largest object so far is `largest` bytes. A snapshot costs
 * little more than its changed values only if the window reaches back to the snapshot before it, one commit
 * earlier: four times the largest object leaves room for growth. A larger window costs both sides memory and
 * page faults: for a 9 MB pack of 9 KB snapshots, 4 MiB instead of 1 MiB cost the receiver 1,400 more page faults
 * and the sender 40% more CPU (75 against 50 ms, fresh process), for 6% fewer bytes.
 */
export function brotliWindowBits(largest: number): number {
  const bits = Math.ceil(Math.log2(Math.max(largest, 1) * 4));
  return Math.min(Math.max(bits, MIN_BROTLI_WINDOW_BITS), zlib.constants.BROTLI_MAX_WINDOW_BITS);
}

export type Compressor = zlib.BrotliCompress | zlib.DeflateRaw;

/**
 * A compressor for a pack; `largestObject` (bytes, brotli only) sizes the window, `dictionary` primes deflate.
 */
export function createCompressor(
  compression: Compression,
  options: { readonly dictionary?: Uint8Array; readonly largestObject?: number } = {},
): Compressor | null {
  if (compression === 'brotli') {
    return zlib.createBrotliCompress({
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [zlib.constants.BROTLI_PARAM_LGWIN]: brotliWindowBits(options.largestObject ?? 0),
      },
    });
  }
  if (compression === 'deflate') {
    const { dictionary } = options;
    return zlib.createDeflateRaw({ level: 6, ...(dictionary === undefined ? {} : { dictionary }) });
  }
  return null;
}

const DECOMPRESSED_CHUNK_BYTES = 256 * 1024;

/**
 * Ends the compressor's current block without ending the stream, so that the receiver can start on what was
 * written so far (a sync flush: the window is kept, it costs a few bytes).
 */
export function flushCompressor(compressor: Compressor): Promise<void> {
  const kind =
    compressor instanceof zlib.BrotliCompress
      ? zlib.constants.BROTLI_OPERATION_FLUSH
      : zlib.constants.Z_SYNC_FLUSH;
  return new Promise((resolve) => compressor.flush(kind, () => resolve()));
}

/** A reader for the frames that follow in the (maybe compressed) rest of `reader`'s stream. */
export function decompressedReader(
  reader: FrameReader,
  compression: Compression,
  limits: SyncLimits,
  dictionary?: Uint8Array,
): FrameReader {
  if (compression === 'none') return reader;
  // Large output chunks: a pack inflates about 80-fold, and each 16 KiB default chunk is one round trip through
  // libuv's thread pool (a 10 MB pack: 640 of them, a third of the client's time in bench/fetch.mjs).
  const chunkSize = DECOMPRESSED_CHUNK_BYTES;
  const inflate =
    compression === 'brotli'
      ? zlib.createBrotliDecompress({ chunkSize })
      : zlib.createInflateRaw(dictionary === undefined ? { chunkSize } : { chunkSize, dictionary });
  const input = Readable.from(reader.rest());
  input.on('error', (error) => inflate.destroy(error));
  input.pipe(inflate);
  return new FrameReader(translateErrors(inflate, reader.peer), limits, reader.peer);
}

async function* translateErrors(stream: Transform, peer: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    if (error instanceof EnvSyncError) throw error;
    throw new EnvSyncError('E_PROTOCOL', `${peer} sent a corrupt compressed pack`);
  }
}
