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

// Brotli quality 5 with a 4 MiB window: fast, and the window spans many snapshots of a large environment.
const BROTLI_WINDOW_BITS = 22;

export function createCompressor(compression: Compression, dictionary?: Uint8Array): Transform | null {
  if (compression === 'brotli') {
    return zlib.createBrotliCompress({
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 5,
        [zlib.constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
      },
    });
  }
  if (compression === 'deflate') {
    return zlib.createDeflateRaw({ level: 6, ...(dictionary === undefined ? {} : { dictionary }) });
  }
  return null;
}

/** A reader for the frames that follow in the (maybe compressed) rest of `reader`'s stream. */
export function decompressedReader(
  reader: FrameReader,
  compression: Compression,
  limits: SyncLimits,
  dictionary?: Uint8Array,
): FrameReader {
  if (compression === 'none') return reader;
  const inflate =
    compression === 'brotli'
      ? zlib.createBrotliDecompress()
      : zlib.createInflateRaw(dictionary === undefined ? {} : { dictionary });
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
