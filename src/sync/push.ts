// The client side of push: read the receive-pack advertisement, refuse another mode or group, check each branch
// is a fast-forward (or holds the lease), send the objects the server lacks, then record what it accepted.

import type { Writable } from 'node:stream';
import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import { branchRef, environmentOf, remoteRef } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { checkCompatible } from './advertise.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import type { SyncLimits } from './limits.ts';
import {
  type Advertisement,
  type RefCommand,
  type RefResult,
  readAdvertisement,
  readResult,
  receiveRequestFrame,
} from './messages.ts';
import { writePack } from './pack-writer.ts';
import { writeChunk } from './stream-write.ts';
import type { Transport } from './transport-interface.ts';
import { isAncestor, objectsToSend } from './walk.ts';

export interface PushRequest {
  readonly env: string;
  readonly local: ObjectId;
  /** `--force-with-lease`: overwrite the remote branch if it still holds what refs/remotes/<remote>/<env> says. */
  readonly forceWithLease: boolean;
}

export interface PushOutcome {
  readonly env: string;
  readonly old: ObjectId | null;
  readonly new: ObjectId;
  readonly status: 'updated' | 'up-to-date';
}

export async function pushBranches(
  repo: Repository,
  transport: Transport,
  remote: string,
  requests: readonly PushRequest[],
  peer: string,
  limits: SyncLimits,
): Promise<PushOutcome[]> {
  const label = `remote '${remote}'`;
  const exchange = await transport.connect('receive-pack');
  try {
    const reader = new FrameReader(exchange.incoming, limits, label);
    const ad = await readAdvertisement(reader, limits);
    checkCompatible(repo, ad, label);
    const { commands, outcomes } = await planCommands(repo, ad, remote, requests);
    const output = exchange.outgoing;
    if (output === null) throw new EnvSyncError('E_PROTOCOL', `${label} does not accept pushes`);
    if (commands.length === 0) {
      output.end();
      return outcomes;
    }
    await sendCommands(repo, ad, remote, commands, peer, output);
    await recordResults(repo, remote, commands, await readResult(reader), peer);
    return outcomes;
  } finally {
    exchange.close();
  }
}

/**
 * The command for each branch that moves, checked here as the server will check it: a fast-forward of what
 * the server advertises, or, with a lease, the server still at what refs/remotes/<remote>/<env> says.
 */
async function planCommands(
  repo: Repository,
  ad: Advertisement,
  remote: string,
  requests: readonly PushRequest[],
): Promise<{ commands: RefCommand[]; outcomes: PushOutcome[] }> {
  const outcomes: PushOutcome[] = [];
  const commands: RefCommand[] = [];
  for (const request of requests) {
    const ref = branchRef(request.env);
    const theirs = ad.refs.find((r) => r.name === ref)?.id ?? null;
    if (theirs === request.local) {
      outcomes.push({ env: request.env, old: theirs, new: request.local, status: 'up-to-date' });
      continue;
    }
    if (request.forceWithLease) {
      const lease = await repo.refs.read(remoteRef(remote, request.env));
      if (lease !== theirs) {
        throw new EnvSyncError(
          'E_NON_FAST_FORWARD',
          `push ${request.env} to ${remote}: the remote branch moved since your last fetch (stale lease); fetch first`,
        );
      }
    } else if (
      theirs !== null &&
      !((await repo.objects.has(theirs)) && (await isAncestor(repo, theirs, request.local)))
    ) {
      throw new EnvSyncError(
        'E_NON_FAST_FORWARD',
        `push ${request.env} to ${remote} rejected: non-fast-forward; fetch and merge first (or --force-with-lease)`,
      );
    }
    commands.push({ ref, old: theirs, new: request.local, force: request.forceWithLease });
    outcomes.push({ env: request.env, old: theirs, new: request.local, status: 'updated' });
  }
  return { commands, outcomes };
}

/** Sends the `update` frame and a pack of what the server lacks: its tips and our tracking refs are haves. */
async function sendCommands(
  repo: Repository,
  ad: Advertisement,
  remote: string,
  commands: readonly RefCommand[],
  peer: string,
  output: Writable,
): Promise<void> {
  const haves: ObjectId[] = [];
  for (const advertised of ad.refs) if (await repo.objects.has(advertised.id)) haves.push(advertised.id);
  for (const tracking of await repo.refs.list(`refs/remotes/${remote}/`)) haves.push(tracking.id);
  const ids = await objectsToSend(
    repo,
    commands.map((c) => c.new),
    haves,
  );
  await writeChunk(
    output,
    encodeFrame(receiveRequestFrame({ group: repo.group, mode: repo.mode, peer, commands })),
  );
  await writePack(repo, ids, output);
}

/** Fails unless the server moved every branch; then moves refs/remotes/<remote>/<env> to match. */
async function recordResults(
  repo: Repository,
  remote: string,
  commands: readonly RefCommand[],
  results: readonly RefResult[],
  peer: string,
): Promise<void> {
  for (const command of commands) {
    const result = results.find((r) => r.ref === command.ref);
    const env = environmentOf(command.ref);
    if (result === undefined || !result.ok) {
      throw new EnvSyncError(
        result?.reason?.startsWith('non-fast-forward') ? 'E_NON_FAST_FORWARD' : 'E_REMOTE',
        `push ${env} to ${remote} rejected: ${result?.reason ?? 'no answer for this branch'}`,
      );
    }
    const tracking = remoteRef(remote, env);
    const before = await repo.refs.read(tracking);
    await repo.refs.update(tracking, command.new, { peer, reason: `push ${remote}`, expected: before });
  }
}
