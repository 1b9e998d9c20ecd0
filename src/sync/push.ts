// The client side of push: read the receive-pack advertisement, refuse another mode or group, check each branch
// is a fast-forward (or holds the lease), send the objects the server lacks, then record what it accepted.

import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import { branchRef, remoteRef } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { checkCompatible } from './advertise.ts';
import { chooseCompression } from './compression.ts';
import type { Transport } from './exchange.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import type { SyncLimits } from './limits.ts';
import { type RefCommand, readAdvertisement, readResult, receiveRequestFrame } from './messages.ts';
import { writePack } from './pack-writer.ts';
import { writeChunk } from './stream-write.ts';
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
    const output = exchange.outgoing;
    if (output === null) throw new EnvSyncError('E_PROTOCOL', `${label} does not accept pushes`);
    if (commands.length === 0) {
      output.end();
      return outcomes;
    }
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
    await writePack(repo, ids, output, chooseCompression(ad.capabilities));
    const results = await readResult(reader);
    for (const command of commands) {
      const result = results.find((r) => r.ref === command.ref);
      const env = command.ref.slice('refs/heads/'.length);
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
    return outcomes;
  } finally {
    exchange.close();
  }
}
