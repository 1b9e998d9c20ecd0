// The names completion offers from a repository: environments, remote branches, remotes, key names and
// peers. Read-only and keyless: key names are stored in the clear, and no identity is loaded or created.

import { nowSeconds } from '../../clock.ts';
import { listEnvironments } from '../../model/environment.ts';
import { currentEnvironment } from '../../model/environment-lifecycle.ts';
import { snapshotKeys } from '../../model/snapshot.ts';
import { branchRef } from '../../store/ref-names.ts';
import { openRepository, type Repository } from '../../store/repository.ts';
import { listRemotes } from '../../sync/remotes.ts';
import type { CompletionNames } from './complete.ts';

/** The names of the repository at or above `dir`; none at all outside a repository. */
export function repositoryNames(dir: string): CompletionNames {
  let opened: Promise<Repository | null> | undefined;
  const repo = () => {
    opened ??= openRepository(dir).catch(() => null);
    return opened;
  };
  const orNone = async <T>(read: (repo: Repository) => Promise<T[]> | T[]): Promise<T[]> => {
    const found = await repo();
    return found === null ? [] : Promise.resolve(read(found)).catch(() => []);
  };
  return {
    environments: () => orNone(listEnvironments),
    remoteBranches: () =>
      orNone(async (r) =>
        (await r.refs.list('refs/remotes/')).map((ref) => ref.name.slice('refs/remotes/'.length)),
      ),
    remotes: () => orNone((r) => listRemotes(r).map((remote) => remote.name)),
    keys: (env) =>
      orNone(async (r) => {
        const head = await r.refs.read(branchRef(env ?? (await currentEnvironment(r))));
        if (head === null) return [];
        const commit = await r.objects.readTyped(head, 'commit');
        return [...snapshotKeys(await r.objects.readTyped(commit.snapshot, 'snapshot'))];
      }),
    peers: (pending) =>
      orNone(async (r) => {
        if (r.mode !== 'secure-peer') return [];
        const { loadRegistry } = await import('../../membership/chain-store.ts');
        const peers = (await loadRegistry(r, nowSeconds()))?.registry.peers() ?? [];
        return peers
          .filter((peer) => !pending || peer.state === 'pending')
          .flatMap((peer) => [peer.name, peer.peerId]);
      }),
  };
}
