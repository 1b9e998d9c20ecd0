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

/**
 * `name` as a remote name. fetch, pull and push take a remote's name, not its URL (clone and remote add take
 * those): a URL or a path there gets the way to name it.
 */
function checkRemoteName(name: string): void {
  if (/[/:\\]/.test(name) || name === '.' || name === '..') {
    throw new EnvSyncError(
      'E_REMOTE',
      `${JSON.stringify(name.slice(0, 200))} is not a remote name: name the URL or path first (env-sync remote add <name> ${name.slice(0, 200)}), then use the name`,
    );
  }
  validateComponent(name, 'remote');
}

export function remoteUrl(repo: Repository, name: string): string {
  checkRemoteName(name);
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

/** The env-sync command an SSH remote runs (`remote.<name>.program`), if one is configured. */
export function remoteProgram(repo: Repository, name: string): string | undefined {
  checkRemoteName(name);
  return repo.config.get(`remote.${name}.program`);
}

/** The system ssh command to use instead of the built-in client: ENV_SYNC_SSH_COMMAND, then core.sshCommand. */
export function sshCommandSetting(repo: Repository | null): string | undefined {
  return process.env.ENV_SYNC_SSH_COMMAND ?? repo?.config.get('core.sshCommand');
}

/**
 * The config key naming the upstream remote of an environment, as git's `branch.<name>.remote`; null for a
 * name with a `.`, which a config subsection cannot hold.
 */
export const upstreamKey = (env: string): string | null => (env.includes('.') ? null : `env.${env}.remote`);

/**
 * The remote to use when none is named: the upstream of `env` (set by `push --set-upstream`), else `origin`,
 * or the only one there is.
 */
export function defaultRemote(repo: Repository, env: string | null): string {
  const key = env === null ? null : upstreamKey(env);
  const upstream = key === null ? undefined : repo.config.get(key);
  if (upstream !== undefined) return upstream;
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

/** Removes the remote's config, its remote-tracking refs, and the upstream settings that name it. */
export async function removeRemote(repo: Repository, name: string, peer: string): Promise<number> {
  remoteUrl(repo, name);
  const refs = await repo.refs.list(`refs/remotes/${name}/`);
  for (const ref of refs) await repo.refs.delete(ref.name, { peer, reason: `remote remove ${name}` });
  repo.config.removeSection(`remote.${name}`);
  // An environment whose upstream this was falls back to origin, or the only remote.
  for (const [key, value] of repo.config.entries())
    if (/^env\.[^.]+\.remote$/.test(key) && value === name) repo.config.unset(key);
  await repo.saveConfig();
  return refs.length;
}

/** What each mode syncs over, for the message that refuses anything else. */
const MODE_TRANSPORTS: Readonly<Record<SecurityMode, string>> = {
  'secure-peer': 'secure-peer syncs only over mutual TLS, a local path or a bundle',
  'trusted-owner-ssh': 'trusted-owner-ssh syncs only over SSH, a local path or a bundle',
  'dev-plaintext-http': 'dev-plaintext-http syncs only over plain HTTP, a local path or a bundle',
};

/**
 * Refuses a URL the mode may not sync over, before any connection: secure-peer moves objects only over mutual
 * TLS, a local path (or file://) or a bundle file (docs/security.md#secure-peer-syncs-only-over-mutual-tls);
 * trusted-owner-ssh only over SSH, a local path or a bundle; dev-plaintext-http never over SSH.
 * Every command that adds or contacts a remote calls this, clone once the advertisement has named the mode.
 */
export function checkUrlAllowedInMode(mode: SecurityMode, url: string): void {
  const scheme = remoteUrlScheme(url);
  const refusal =
    mode === 'secure-peer'
      ? securePeerRefusal(scheme)
      : mode === 'trusted-owner-ssh'
        ? trustedOwnerSshRefusal(scheme)
        : devPlaintextHttpRefusal(scheme);
  if (refusal !== null) throw new EnvSyncError('E_MODE', `${MODE_TRANSPORTS[mode]}; ${url} ${refusal}`);
}

/**
 * The scheme of a remote URL in lower case; `ssh` for git's scp-like `[user@]host:path` (a colon before the
 * first slash); undefined for a local path.
 */
export function remoteUrlScheme(url: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) return scheme;
  return /^[^/]+:/.test(url) ? 'ssh' : undefined;
}

/** Why secure-peer may not use a URL of this scheme, or null for https:// (mutual TLS), a path or file://. */
function securePeerRefusal(scheme: string | undefined): string | null {
  if (scheme === undefined || scheme === 'file' || scheme === 'https') return null;
  if (scheme === 'http') return 'is plain HTTP';
  if (scheme === 'ssh')
    return "is SSH, which authenticates a machine's accounts, not the group's pinned peers";
  return `uses ${scheme}://, which is none of these`;
}

/** One person's machines trust each other through their SSH accounts, not over any other channel. */
function trustedOwnerSshRefusal(scheme: string | undefined): string | null {
  if (scheme === undefined || scheme === 'file' || scheme === 'ssh') return null;
  if (scheme === 'http') return 'is plain HTTP, which neither encrypts nor authenticates';
  if (scheme === 'https') return 'is mutual TLS, the transport of secure-peer';
  return `uses ${scheme}://, which is none of these`;
}

/** A debugging repository stays on the transport that says it protects nothing. */
function devPlaintextHttpRefusal(scheme: string | undefined): string | null {
  if (scheme !== 'ssh') return null;
  return 'is SSH, the transport of trusted-owner-ssh: this mode is unencrypted and for debugging only';
}
