// Writing to a stream with backpressure: wait for 'drain', fail if the stream closes or errors first.

import type { Writable } from 'node:stream';
import { EnvSyncError } from '../errors.ts';

export async function writeChunk(stream: Writable, chunk: Uint8Array): Promise<void> {
  if (stream.destroyed || stream.writableEnded) throw closed();
  if (stream.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', onError);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(closed());
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    stream.on('error', onError);
  });
}

/** Ends the stream and waits until everything written has been flushed to its destination. */
export async function endStream(stream: Writable): Promise<void> {
  if (stream.writableFinished) return;
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

function closed(): EnvSyncError {
  return new EnvSyncError('E_PROTOCOL', 'the connection closed while sending');
}
