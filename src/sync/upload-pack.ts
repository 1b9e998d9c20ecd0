// The serving side of fetch: advertise, read the client's haves, stream exactly the objects it lacks of every
// advertised tip. A client asks before reading the advertisement: where none was sent, the answer starts with it.
// Transport-independent: bytes in, bytes out (stdin/stdout, an HTTP request and response, in-memory pipes).

import type { Writable } from 'node:stream';
import { isEnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { advertisedTips, buildAdvertisement, checkClient } from './advertise.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import { type SyncLimits, syncLimitsFromConfig } from './limits.ts';
import { type Advertisement, advertisementFrame, errorFrame, readFetchRequest } from './messages.ts';
import { writePack } from './pack-writer.ts';
import { endStream, writeChunk } from './stream-write.ts';
import { objectsToSend } from './walk.ts';

export interface ServeOptions {
  /** Send the advertisement first (stream transports; HTTP sends it from its own GET). */
  readonly advertise: boolean;
  /** Answer a request (false: advertisement only). */
  readonly answer: boolean;
  readonly limits?: SyncLimits;
  /** Advertise and send only the membership chain, no branch (a peer whose join request is pending). */
  readonly membershipOnly?: boolean;
  /** receive-pack: runs after the pushed pack is stored and verified, before any branch moves; throwing refuses. */
  readonly beforeRefUpdates?: BeforeRefUpdates;
}

/** A check of pushed branch tips (all objects present and verified) that may refuse the push by throwing. */
export type BeforeRefUpdates = (repo: Repository, tips: readonly ObjectId[]) => Promise<void>;

/**
 * The opening both services share: the advertisement (on stream transports; returned, else null), then either
 * the end of the exchange (advertisement only: `answer` false) or the client's turn.
 */
export async function advertiseFirst(
  repo: Repository,
  output: Writable,
  service: 'upload-pack' | 'receive-pack',
  options: ServeOptions,
): Promise<{ answer: boolean; ad: Advertisement | null }> {
  const ad = options.advertise ? await sendAdvertisement(repo, output, service, options) : null;
  if (!options.answer) await endStream(output);
  return { answer: options.answer, ad };
}

async function sendAdvertisement(
  repo: Repository,
  output: Writable,
  service: 'upload-pack' | 'receive-pack',
  options: ServeOptions,
): Promise<Advertisement> {
  const full = await buildAdvertisement(repo, service);
  const ad = options.membershipOnly ? { ...full, refs: [], head: null } : full;
  await writeChunk(output, encodeFrame(advertisementFrame(ad)));
  return ad;
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
    const opening = await advertiseFirst(repo, output, 'upload-pack', options);
    if (!opening.answer) return null;
    const request = await readFetchRequest(new FrameReader(input, limits, 'client'), limits);
    // The client asked for every advertised tip: where no advertisement was sent yet (HTTP's POST), the
    // answer starts with it. Either way the client's mode and group are checked before any object is sent.
    const ad = opening.ad ?? (await sendAdvertisement(repo, output, 'upload-pack', options));
    checkClient(repo, request);
    const wants = advertisedTips(ad).map((tip) => tip.id);
    const ids = await objectsToSend(repo, wants, request.haves);
    packStarted = true;
    await writePack(repo, ids, output);
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
