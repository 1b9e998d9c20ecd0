// Pack compression (docs/protocol.md#compression): everything after the `pack` frame is one brotli stream.
// Consecutive snapshots of an environment repeat their key names and recipients, which brotli's window
// turns into references, and an age file's header is base64 text.

import { Readable, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import { EnvSyncError } from '../errors.ts';
import { FrameReader } from './frames.ts';
import type { SyncLimits } from './limits.ts';

// Quality 4: fast. Quality 5 wrote 1% fewer bytes for nearly twice the CPU, paid by a server whose core the
// fetching client may share.
const BROTLI_QUALITY = 4;
/** A 4 MiB window: it reaches the snapshot before in the same environment across 20 environments' commits. */
const BROTLI_WINDOW_BITS = 22;

export function createCompressor(): zlib.BrotliCompress {
  return zlib.createBrotliCompress({
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [zlib.constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
    },
  });
}

/** A reader for the frames that follow in the compressed rest of `reader`'s stream. */
export function decompressedReader(reader: FrameReader, limits: SyncLimits): FrameReader {
  const inflate = zlib.createBrotliDecompress();
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
