// What the sync commands share: turning a remote name into a transport, and the one-line ref move format.

import type { ObjectId } from '../../store/object-id.ts';
import { shortId } from '../../store/object-id.ts';
import type { Repository } from '../../store/repository.ts';
import { checkUrlAllowedInMode, remoteUrl } from '../../sync/remotes.ts';
import type { Transport } from '../../sync/transport-interface.ts';
import { type LocalServeHooks, openTransport } from '../../transport/index.ts';
import type { SshOptions } from '../../transport/ssh.ts';

export async function remoteTransport(
  repo: Repository,
  remote: string,
  hooks: LocalServeHooks = {},
  ssh: SshOptions = {},
): Promise<Transport> {
  const url = remoteUrl(repo, remote);
  checkUrlAllowedInMode(repo.mode, url);
  return openTransport(url, hooks, ssh);
}

/** `main: abc123..def456`, or `main: (new) def456` — ids only, never values. */
export function formatMove(env: string, old: ObjectId | null, next: ObjectId): string {
  return `${env}: ${old === null ? `(new) ${shortId(next)}` : `${shortId(old)}..${shortId(next)}`}`;
}
