// The client side of fetch: read the advertisement, refuse another mode or group, ask for the tips we lack
// with our recent history as haves, receive and verify the pack, let the caller check what arrived (membership
// events are applied there, before secrets); only then move refs/remotes/<remote>/<env>.

import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import { remoteRef } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { checkCompatible } from './advertise.ts';
import { chooseCompression, DEFLATE_BASE } from './compression.ts';
import type { Exchange, Transport } from './exchange.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import type { SyncLimits } from './limits.ts';
import type { Advertisement } from './messages.ts';
import { readAdvertisement, uploadRequestFrame } from './messages.ts';
import { type PackTip, receivePack } from './pack-reader.ts';
import { endStream, writeChunk } from './stream-write.ts';
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

/** Connects and reads the advertisement; the caller checks compatibility (clone has no repository yet). */
export async function openUpload(
  transport: Transport,
  limits: SyncLimits,
  label: string,
): Promise<OpenUpload> {
  const exchange = await transport.connect('upload-pack');
  try {
    const reader = new FrameReader(exchange.incoming, limits, label);
    const ad = await readAdvertisement(reader, limits);
    return { exchange, reader, ad };
  } catch (error) {
    exchange.close();
    throw error;
  }
}

/**
 * Receives every advertised tip this repository lacks. Moves no ref. `haves` may have been started before the
 * advertisement arrived (they depend on this repository only); by default they are collected when needed.
 */
export async function fetchObjects(
  repo: Repository,
  open: OpenUpload,
  limits: SyncLimits,
  haves?: Promise<ObjectId[]>,
): Promise<FetchStats> {
  const { exchange, reader, ad } = open;
  const tips: PackTip[] = ad.refs.map((ref) => ({ name: ref.name, id: ref.id, type: 'commit' }));
  if (ad.members !== null) tips.push({ name: 'refs/members', id: ad.members, type: 'event' });
  for (const id of ad.memberForks) tips.push({ name: 'a losing membership branch', id, type: 'event' });
  if (ad.service === 'bundle') {
    const pack = await receivePack(repo, reader, limits, tips, 'fetch');
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
    haves: await (haves ?? collectHaves(repo)),
    compression: chooseCompression(ad.capabilities),
    deltaBase: ad.capabilities.includes(DEFLATE_BASE),
  });
  await writeChunk(output, encodeFrame(request));
  await endStream(output);
  const pack = await receivePack(repo, reader, limits, wanted, 'fetch');
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
  // The haves are read while the advertisement is on its way: a round trip the history walk then costs nothing.
  const haves = collectHaves(repo);
  haves.catch(() => {}); // awaited only if something is wanted; a failure then surfaces there
  const open = await openUpload(transport, limits, `remote '${remote}'`);
  try {
    checkCompatible(repo, open.ad, `remote '${remote}'`);
    const stats = await fetchObjects(repo, open, limits, haves);
    await beforeRefMoves?.(repo, open.ad, stats.events);
    const moves = await moveRefs(repo, open.ad, (env) => remoteRef(remote, env), peer, `fetch ${remote}`);
    return { moves, stats, ad: open.ad };
  } finally {
    open.exchange.close();
  }
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
