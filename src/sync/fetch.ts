// The client side of fetch: ask for every tip the remote has with our recent history as haves (one turn, sent
// before the advertisement arrives), read the advertisement and refuse another mode or group, receive and
// verify the pack, let the caller check what arrived (membership events are applied there, before secrets);
// only then move refs/remotes/<remote>/<env>.

import type { ObjectId } from '../store/object-id.ts';
import { environmentOf, remoteRef } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { advertisedTips, checkCompatible } from './advertise.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import type { SyncLimits } from './limits.ts';
import { type Advertisement, type FetchRequest, fetchRequestFrame, readAdvertisement } from './messages.ts';
import { receivePack } from './pack-reader.ts';
import { endStream, writeChunk } from './stream-write.ts';
import type { Exchange, Transport } from './transport-interface.ts';
import { collectHaves } from './walk.ts';

export interface OpenUpload {
  readonly exchange: Exchange;
  readonly reader: FrameReader;
  readonly ad: Advertisement;
}

export interface FetchStats {
  readonly objects: number;
  /** Bytes received, as they came over the pipe (compressed). */
  readonly wireBytes: number;
  /** The membership events received, by id (see ReceivedPack.events). */
  readonly events: ReadonlyMap<ObjectId, Uint8Array>;
}

/**
 * Called after every received object is stored and verified, before any ref moves: the caller applies the
 * membership events and checks the new commits (src/cli/sync/membership.ts). Throwing refuses the fetch with
 * no ref moved. Kept a parameter so that the protocol does not depend on the membership rules.
 */
export type BeforeRefMoves = (
  repo: Repository,
  ad: Advertisement,
  received: ReadonlyMap<ObjectId, Uint8Array>,
) => Promise<void>;

export interface RefMove {
  readonly env: string;
  readonly ref: string;
  readonly old: ObjectId | null;
  readonly new: ObjectId;
}

/** What a clone asks for: every tip, with no haves, from a server of any group and mode. */
const CLONE_REQUEST: FetchRequest = { group: null, mode: null, haves: [] };

/**
 * Connects, sends `request` (a `fetch` frame) as soon as it is ready, without waiting for the advertisement,
 * and reads the advertisement; the caller checks compatibility (a clone has no repository yet) and then
 * receives the pack. A bundle takes no request.
 */
export async function openUpload(
  transport: Transport,
  limits: SyncLimits,
  label: string,
  request: Promise<FetchRequest> = Promise.resolve(CLONE_REQUEST),
): Promise<OpenUpload> {
  request.catch(() => {}); // a bundle takes none; otherwise it is awaited below
  const exchange = await transport.connect('upload-pack');
  try {
    const reader = new FrameReader(exchange.incoming, limits, label);
    const output = exchange.outgoing;
    const advertised = readAdvertisement(reader, limits);
    if (output === null) return { exchange, reader, ad: await advertised };
    const sent = request.then(async (frame) => {
      try {
        await writeChunk(output, encodeFrame(fetchRequestFrame(frame)));
        await endStream(output);
      } catch (writeError) {
        // A server that refused and closed has said why: its reason, not the broken pipe, is the error.
        await advertised;
        throw writeError;
      }
    });
    // A request that cannot be made (its haves failed to read) fails the fetch at once: the server would
    // wait for it until its idle timeout.
    const [ad] = await Promise.all([advertised, sent]);
    return { exchange, reader, ad };
  } catch (error) {
    exchange.close();
    throw error;
  }
}

/** Receives every advertised tip this repository lacks. Moves no ref. */
export async function fetchObjects(
  repo: Repository,
  open: OpenUpload,
  limits: SyncLimits,
): Promise<FetchStats> {
  const pack = await receivePack(repo, open.reader, limits, advertisedTips(open.ad), 'fetch');
  return { objects: pack.objects, wireBytes: open.reader.totalBytes, events: pack.events };
}

/** Fetches from `transport` into refs/remotes/<remote>/*; returns the refs that moved. */
export async function fetchRemote(
  repo: Repository,
  transport: Transport,
  remote: string,
  peer: string,
  limits: SyncLimits,
  beforeRefMoves?: BeforeRefMoves,
): Promise<{ moves: RefMove[]; stats: FetchStats; ad: Advertisement }> {
  // One turn: every advertised tip, asked for while the connection opens; the haves are read meanwhile.
  const haves = collectHaves(repo);
  const ask = (list: Promise<ObjectId[]>) =>
    list.then((have) => ({ group: repo.group, mode: repo.mode, haves: have }));
  const label = `remote '${remote}'`;
  let open = await openUpload(transport, limits, label, ask(haves));
  try {
    checkCompatible(repo, open.ad, label);
    const held = open.exchange.outgoing === null ? [] : await tipsHeldNotOffered(repo, open.ad, await haves);
    if (held.length > 0) {
      // The server would walk those tips back to the haves, past everything this repository holds (a peer
      // that is behind, reached through another): ask again, offering them too.
      open.exchange.close();
      open = await openUpload(transport, limits, label, ask(haves.then((have) => [...have, ...held])));
      checkCompatible(repo, open.ad, label);
    }
    const { moves, stats } = await receiveAndMoveRefs(repo, open, limits, beforeRefMoves, {
      refFor: (env) => remoteRef(remote, env),
      peer,
      reason: `fetch ${remote}`,
    });
    return { moves, stats, ad: open.ad };
  } finally {
    open.exchange.close();
  }
}

/**
 * The end every fetch shares, clone's too: receive the pack, let `beforeRefMoves` check what arrived (with
 * the received events), then point `refFor(env)` at each advertised branch.
 */
export async function receiveAndMoveRefs(
  repo: Repository,
  open: OpenUpload,
  limits: SyncLimits,
  beforeRefMoves: BeforeRefMoves | undefined,
  refs: { refFor: (env: string) => string; peer: string; reason: string },
): Promise<{ moves: RefMove[]; stats: FetchStats }> {
  const stats = await fetchObjects(repo, open, limits);
  await beforeRefMoves?.(repo, open.ad, stats.events);
  const moves = await moveRefs(repo, open.ad, refs.refFor, refs.peer, refs.reason);
  return { moves, stats };
}

/** The advertised tips this repository holds but did not offer as haves. */
async function tipsHeldNotOffered(
  repo: Repository,
  ad: Advertisement,
  haves: readonly ObjectId[],
): Promise<ObjectId[]> {
  const offered = new Set(haves);
  const held: ObjectId[] = [];
  for (const tip of advertisedTips(ad)) {
    if (!offered.has(tip.id) && (await repo.objects.has(tip.id))) held.push(tip.id);
  }
  return held;
}

/** Points `refFor(env)` at each advertised branch, compare-and-swap against what it held. */
export async function moveRefs(
  repo: Repository,
  ad: Advertisement,
  refFor: (env: string) => string,
  peer: string,
  reason: string,
): Promise<RefMove[]> {
  const moves: RefMove[] = [];
  for (const advertised of ad.refs) {
    const env = environmentOf(advertised.name);
    const ref = refFor(env);
    const old = await repo.refs.read(ref);
    if (old === advertised.id) continue;
    await repo.refs.update(ref, advertised.id, { peer, reason, expected: old });
    moves.push({ env, ref, old, new: advertised.id });
  }
  return moves;
}
