// The serving side of fetch: advertise, read the client's wants and haves, stream exactly the objects it lacks.
// Transport-independent: bytes in, bytes out (stdin/stdout, an HTTP request and response, in-memory pipes).

import type { Writable } from 'node:stream';
import { isEnvSyncError } from '../errors.ts';
import type { Repository } from '../store/repository.ts';
import { buildAdvertisement, checkClient } from './advertise.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import { type SyncLimits, syncLimitsFromConfig } from './limits.ts';
import { advertisementFrame, errorFrame, readUploadRequest } from './messages.ts';
import { writePack } from './pack-writer.ts';
import { endStream, writeChunk } from './stream-write.ts';
import { objectsToSend } from './walk.ts';

export interface ServeOptions {
  /** Send the advertisement first (stream transports; HTTP sends it from its own GET). */
  readonly advertise: boolean;
  /** Answer a request (false: advertisement only). */
  readonly answer: boolean;
  readonly limits?: SyncLimits;
}

/** Serves one upload-pack exchange. Errors are sent to the client as an `error` frame and returned. */
export async function serveUploadPack(
  repo: Repository,
  input: AsyncIterable<Uint8Array>,
  output: Writable,
  options: ServeOptions,
): Promise<Error | null> {
  const limits = options.limits ?? syncLimitsFromConfig(repo.config);
  let packStarted = false;
  try {
    if (options.advertise) {
      await writeChunk(
        output,
        encodeFrame(advertisementFrame(await buildAdvertisement(repo, 'upload-pack'))),
      );
    }
    if (!options.answer) {
      await endStream(output);
      return null;
    }
    const reader = new FrameReader(input, limits, 'client');
    const request = await readUploadRequest(reader, limits);
    if (request === null) {
      await endStream(output);
      return null;
    }
    checkClient(repo, request);
    const ids = await objectsToSend(repo, request.wants, request.haves);
    packStarted = true;
    await writePack(repo, ids, output, request.compression);
    return null;
  } catch (error) {
    if (!packStarted) await sendError(output, error);
    return error as Error;
  }
}

export async function sendError(output: Writable, error: unknown): Promise<void> {
  const message = isEnvSyncError(error) ? error.message : 'internal error';
  try {
    await writeChunk(output, encodeFrame(errorFrame(message)));
    await endStream(output);
  } catch {
    output.destroy();
  }
}
