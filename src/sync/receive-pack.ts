// The serving side of push: advertise, read the update commands and their pack, verify every object, then move
// each branch by compare-and-swap, fast-forward only unless the client forced it with a lease.

import type { Writable } from 'node:stream';
import { isEnvSyncError } from '../errors.ts';
import { shortId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { checkClient } from './advertise.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import { syncLimitsFromConfig } from './limits.ts';
import { type RefCommand, type RefResult, readReceiveRequest, resultFrame } from './messages.ts';
import { receivePack } from './pack-reader.ts';
import { endStream, writeChunk } from './stream-write.ts';
import { advertiseFirst, type ServeOptions, sendError } from './upload-pack.ts';
import { isAncestor } from './walk.ts';

export async function serveReceivePack(
  repo: Repository,
  input: AsyncIterable<Uint8Array>,
  output: Writable,
  options: ServeOptions,
): Promise<Error | null> {
  const limits = options.limits ?? syncLimitsFromConfig(repo.config);
  try {
    if (!(await advertiseFirst(repo, output, 'receive-pack', options)).answer) return null;
    const reader = new FrameReader(input, limits, 'client');
    const request = await readReceiveRequest(reader, limits);
    checkClient(repo, request);
    const tips = request.commands.map((c) => ({ name: c.ref, id: c.new, type: 'commit' as const }));
    await receivePack(repo, reader, limits, tips, 'receive');
    await options.beforeRefUpdates?.(
      repo,
      request.commands.map((c) => c.new),
    );
    const results: RefResult[] = [];
    for (const command of request.commands) results.push(await applyCommand(repo, command, request.peer));
    await writeChunk(output, encodeFrame(resultFrame(results)));
    await endStream(output);
    return null;
  } catch (error) {
    await sendError(output, error);
    return error as Error;
  }
}

async function applyCommand(repo: Repository, command: RefCommand, peer: string): Promise<RefResult> {
  const reject = (reason: string): RefResult => ({ ref: command.ref, ok: false, reason });
  const current = await repo.refs.read(command.ref);
  if (current !== command.old) {
    return reject(
      current === null
        ? 'the branch does not exist here any more'
        : `the branch is at ${shortId(current)} now; fetch first`,
    );
  }
  if (!command.force && current !== null && !(await isAncestor(repo, current, command.new))) {
    return reject('non-fast-forward; fetch and merge first (or push --force-with-lease)');
  }
  try {
    await repo.refs.update(command.ref, command.new, {
      peer,
      reason: command.force ? 'push (forced with lease)' : 'push',
      expected: command.old,
    });
  } catch (error) {
    return reject(isEnvSyncError(error) ? error.message : 'update failed');
  }
  return { ref: command.ref, ok: true, reason: null };
}
