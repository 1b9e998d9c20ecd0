// The serving side of fetch: advertise, read the client's wants and haves, stream exactly the objects it lacks.
// A client may ask before reading the advertisement (a `fetch` frame): the answer then starts with it.
// Transport-independent: bytes in, bytes out (stdin/stdout, an HTTP request and response, in-memory pipes).

import type { Writable } from 'node:stream';
import { isEnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { advertisedTips, buildAdvertisement, checkClient } from './advertise.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import { type SyncLimits, syncLimitsFromConfig } from './limits.ts';
import { type Advertisement, advertisementFrame, errorFrame, readUploadRequest } from './messages.ts';
import type { ObjectCache } from './object-cache.ts';
import { graphNode, holds } from './object-graph.ts';
import { writePack } from './pack-writer.ts';
import { endStream, writeChunk } from './stream-write.ts';
import { objectsToSend } from './walk.ts';

export interface ServeOptions {
  /** Send the advertisement first (stream transports; HTTP sends it from its own GET). */
  readonly advertise: boolean;
  /** Answer a request (false: advertisement only). */
  readonly answer: boolean;
  readonly limits?: SyncLimits;
  /** receive-pack: runs after the pushed pack is stored and verified, before any branch moves; throwing refuses. */
  readonly beforeRefUpdates?: BeforeRefUpdates;
  /** upload-pack in a long-running server: objects sent recently are kept in memory (object-cache.ts). */
  readonly objectCache?: ObjectCache;
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
  const ad = options.advertise ? await sendAdvertisement(repo, output, service) : null;
  if (!options.answer) await endStream(output);
  return { answer: options.answer, ad };
}

async function sendAdvertisement(
  repo: Repository,
  output: Writable,
  service: 'upload-pack' | 'receive-pack',
): Promise<Advertisement> {
  const ad = await buildAdvertisement(repo, service);
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
    const reader = new FrameReader(input, limits, 'client');
    const request = await readUploadRequest(reader, limits);
    if (request === null) {
      await endStream(output);
      return null;
    }
    // A `fetch` frame asks for every advertised tip, before it read any advertisement: where none was sent
    // yet (HTTP's POST), the answer starts with it. Either way the client's mode and group are checked before
    // any object is sent.
    let wants = request.wants;
    if (wants === null) {
      const ad = opening.ad ?? (await sendAdvertisement(repo, output, 'upload-pack'));
      wants = advertisedTips(ad).map((tip) => tip.id);
    }
    checkClient(repo, request);
    const ids = await objectsToSend(repo, wants, request.haves);
    packStarted = true;
    const base =
      request.deltaBase && ids.length <= DELTA_BASE_MAX_OBJECTS
        ? await sharedSnapshot(repo, request.haves)
        : null;
    await writePack(repo, ids, output, base === null ? request.compression : 'deflate', {
      base,
      cache: options.objectCache,
      deltaFrames: request.deltaFrames,
    });
    return null;
  } catch (error) {
    if (!packStarted) await sendError(output, error);
    return error as Error;
  }
}

/** Above this many objects the pack's own redundancy matters more than a shared base: use the window. */
const DELTA_BASE_MAX_OBJECTS = 64;

/** The snapshot of the first have that is a commit this repository holds: both sides have its bytes. */
async function sharedSnapshot(repo: Repository, haves: readonly ObjectId[]): Promise<ObjectId | null> {
  for (const have of haves.slice(0, 32)) {
    if (!(await holds(repo.objects, have))) continue;
    const node = await graphNode(repo.objects, have);
    if (node.type === 'commit') return node.refs.find((ref) => ref.type === 'snapshot')!.id;
  }
  return null;
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
