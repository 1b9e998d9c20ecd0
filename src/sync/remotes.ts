// Remotes: named URLs in the repository config (`remote.<name>.url`), their remote-tracking refs, and which
// URLs a mode may sync over.

import { EnvSyncError } from '../errors.ts';
import { validateComponent } from '../store/ref-names.ts';
import type { Repository, SecurityMode } from '../store/repository.ts';
import { didYouMean } from '../suggest.ts';

export interface RemoteConfig {
  readonly name: string;
  readonly url: string;
}

export function listRemotes(repo: Repository): RemoteConfig[] {
  return repo.config
    .subsections('remote')
    .map((name) => ({ name, url: repo.config.get(`remote.${name}.url`) ?? '' }))
    .filter((remote) => remote.url !== '');
}

export function remoteUrl(repo: Repository, name: string): string {
  validateComponent(name, 'remote');
  const url = repo.config.get(`remote.${name}.url`);
  if (url === undefined) {
    const hint = didYouMean(
      name,
      listRemotes(repo).map((remote) => remote.name),
    );
    throw new EnvSyncError('E_REMOTE', `no remote named '${name}'${hint}; see 'env-sync remote list'`);
  }
  return url;
}

/** The remote to use when none is named: `origin`, or the only one there is. */
export function defaultRemote(repo: Repository): string {
  const remotes = listRemotes(repo);
  if (remotes.some((remote) => remote.name === 'origin')) return 'origin';
  if (remotes.length === 1) return remotes[0]!.name;
  throw new EnvSyncError(
    'E_USAGE',
    remotes.length === 0
      ? "no remote configured; add one with 'env-sync remote add <name> <url>'"
      : 'several remotes and none is origin; name one',
  );
}

export async function addRemote(repo: Repository, name: string, url: string): Promise<void> {
  validateComponent(name, 'remote');
  if (url.trim() === '' || /[\s]/.test(url))
    throw new EnvSyncError('E_USAGE', 'a remote URL cannot be empty or hold spaces');
  checkUrlAllowedInMode(repo.mode, url);
  if (repo.config.get(`remote.${name}.url`) !== undefined) {
    throw new EnvSyncError('E_REMOTE', `remote '${name}' already exists`);
  }
  repo.config.set(`remote.${name}.url`, url);
  await repo.saveConfig();
}

/** Removes the remote's config and its remote-tracking refs. */
export async function removeRemote(repo: Repository, name: string, peer: string): Promise<number> {
  remoteUrl(repo, name);
  const refs = await repo.refs.list(`refs/remotes/${name}/`);
  for (const ref of refs) await repo.refs.delete(ref.name, { peer, reason: `remote remove ${name}` });
  repo.config.removeSection(`remote.${name}`);
  await repo.saveConfig();
  return refs.length;
}

/**
 * Refuses a URL the mode may not sync over, before any connection: secure-peer moves objects only over mutual
 * TLS, a local path (or file://) or a bundle file (docs/security.md#secure-peer-syncs-only-over-mutual-tls).
 * Every command that adds or contacts a remote calls this, clone once the advertisement has named the mode.
 */
export function checkUrlAllowedInMode(mode: SecurityMode, url: string): void {
  if (mode !== 'secure-peer') return;
  const refusal = securePeerRefusal(url);
  if (refusal !== null) {
    throw new EnvSyncError(
      'E_MODE',
      `secure-peer syncs only over mutual TLS, a local path or a bundle; ${url} ${refusal}`,
    );
  }
}

/** Why secure-peer may not use `url`, or null for https:// (mutual TLS), a local path or a file:// URL. */
function securePeerRefusal(url: string): string | null {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'file' || scheme === 'https') return null;
  if (scheme === 'http') return 'is plain HTTP';
  // scp-like `[user@]host:path`, as git reads it: a colon before the first slash.
  if (scheme === 'ssh' || (scheme === undefined && /^[^/]+:/.test(url)))
    return "is SSH, which authenticates a machine's accounts, not the group's pinned peers";
  return scheme === undefined ? null : `uses ${scheme}://, which is none of these`;
}
