// The client side of fetch: ask for every tip the remote has with our recent history as haves (one turn, sent
// before the advertisement arrives), read the advertisement and refuse another mode or group, receive and
// verify the pack, let the caller check what arrived (membership events are applied there, before secrets);
// only then move refs/remotes/<remote>/<env>. Clone reads the advertisement first, then asks.

import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import { remoteRef } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { advertisedTips, checkCompatible } from './advertise.ts';
import { chooseCompression, DEFLATE_BASE } from './compression.ts';
import type { Exchange, Transport } from './exchange.ts';
import { encodeFrame, type Frame, FrameReader } from './frames.ts';
import type { SyncLimits } from './limits.ts';
import type { Advertisement } from './messages.ts';
import { fetchRequestFrame, readAdvertisement, uploadRequestFrame } from './messages.ts';
import { type PackTip, receivePack } from './pack-reader.ts';
import { endStream, writeChunk } from './stream-write.ts';
import { collectHaves } from './walk.ts';

export interface OpenUpload {
  readonly exchange: Exchange;
  readonly reader: FrameReader;
  readonly ad: Advertisement;
  /** The client's turn went out with the connection (a `fetch` frame): the pack follows the advertisement. */
  readonly asked: boolean;
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

/**
 * Connects and reads the advertisement; the caller checks compatibility (clone has no repository yet). With
 * `ask`, its frame is the client's turn, sent as soon as it is ready, without waiting for the advertisement
 * (a bundle, which takes no request, ignores it).
 */
export async function openUpload(
  transport: Transport,
  limits: SyncLimits,
  label: string,
  ask?: Promise<Frame>,
): Promise<OpenUpload> {
  const exchange = await transport.connect('upload-pack', { askFirst: ask !== undefined });
  try {
    const reader = new FrameReader(exchange.incoming, limits, label);
    const output = exchange.outgoing;
    if (ask === undefined || output === null) {
      return { exchange, reader, ad: await readAdvertisement(reader, limits), asked: false };
    }
    const advertised = readAdvertisement(reader, limits);
    const sent = ask.then(async (frame) => {
      try {
        await writeChunk(output, encodeFrame(frame));
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
    return { exchange, reader, ad, asked: true };
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
  const { exchange, reader, ad } = open;
  const tips = advertisedTips(ad);
  // A bundle and a `fetch` frame want every tip; the old-style `want` lists those this repository lacks.
  if (ad.service === 'bundle' || open.asked) {
    // A bundle was written for any reader: only a live server, asked, sends delta frames.
    const pack = await receivePack(repo, reader, limits, tips, 'fetch', { deltaFrames: open.asked });
    return { objects: pack.objects, wireBytes: reader.totalBytes, events: pack.events };
  }
  const wanted: PackTip[] = [];
  for (const tip of tips) {
    if (!wanted.some((w) => w.id === tip.id) && !(await repo.objects.has(tip.id))) wanted.push(tip);
  }
  const output = exchange.outgoing;
  if (output === null) throw new EnvSyncError('E_PROTOCOL', `${reader.peer} cannot take requests`);
  if (wanted.length === 0) {
    await endStream(output);
    return { objects: 0, wireBytes: reader.totalBytes, events: new Map() };
  }
  const request = uploadRequestFrame({
    group: repo.group,
    mode: repo.mode,
    wants: wanted.map((tip) => tip.id),
    haves: await collectHaves(repo),
    compression: chooseCompression(ad.capabilities),
    deltaBase: ad.capabilities.includes(DEFLATE_BASE),
    deltaFrames: true,
  });
  await writeChunk(output, encodeFrame(request));
  await endStream(output);
  const pack = await receivePack(repo, reader, limits, wanted, 'fetch', { deltaFrames: true });
  return { objects: pack.objects, wireBytes: reader.totalBytes, events: pack.events };
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
  const ask = haves.then((list) => fetchRequestFrame({ group: repo.group, mode: repo.mode, haves: list }));
  ask.catch(() => {}); // a bundle never takes it; otherwise openUpload awaits it
  const label = `remote '${remote}'`;
  let open = await openUpload(transport, limits, label, ask);
  try {
    checkCompatible(repo, open.ad, label);
    if (open.asked && (await holdsTipNotOffered(repo, open.ad, await haves))) {
      // The server would walk that tip back to the haves and send what this repository holds (a peer that
      // is behind, reached through another): ask again in two turns, wanting only what is missing.
      open.exchange.close();
      open = await openUpload(transport, limits, label);
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

/** Whether this repository holds an advertised tip it did not offer as a have. */
async function holdsTipNotOffered(repo: Repository, ad: Advertisement, haves: readonly ObjectId[]) {
  const offered = new Set(haves);
  for (const tip of advertisedTips(ad)) {
    if (!offered.has(tip.id) && (await repo.objects.has(tip.id))) return true;
  }
  return false;
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
    const env = advertised.name.slice('refs/heads/'.length);
    const ref = refFor(env);
    const old = await repo.refs.read(ref);
    if (old === advertised.id) continue;
    await repo.refs.update(ref, advertised.id, { peer, reason, expected: old });
    moves.push({ env, ref, old, new: advertised.id });
  }
  return moves;
}
