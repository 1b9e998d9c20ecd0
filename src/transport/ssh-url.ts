// SSH remote URLs as git reads them (`ssh://[user@]host[:port]/path`, `ssh://host/~/path`, scp-like
// `[user@]host:path`), and the remote command they turn into, quoted so that no remote shell interprets the path.

import { EnvSyncError } from '../errors.ts';

export interface SshTarget {
  /** Login name from the URL; `User` of ~/.ssh/config (or the local user) when absent. */
  readonly user: string | undefined;
  /** Host name or ~/.ssh/config alias, without IPv6 brackets. */
  readonly host: string;
  readonly port: number | undefined;
  /** Absolute, or relative to the remote login directory (the home). */
  readonly path: string;
}

const SSH_URL = /^ssh:\/\/(?:([^@/]+)@)?(\[[^\]/]+\]|[^:/[\]]+)(?::(\d{1,5}))?(\/.*)$/i;
const SCP_LIKE = /^(?:([^@/]+)@)?(\[[^\]/]+\]|[^:/[\]]+):(.*)$/;

export function parseSshUrl(url: string): SshTarget {
  const full = SSH_URL.exec(url);
  const scp = full === null ? SCP_LIKE.exec(url) : null;
  const match = full ?? scp;
  if (match === null)
    throw new EnvSyncError('E_USAGE', `${url}: not an SSH URL ([user@]host:path or ssh://)`);
  const [, user, bracketed, port, rawPath] = full ?? [scp![0], scp![1], scp![2], undefined, scp![3]];
  const host = bracketed!.replace(/^\[(.*)\]$/, '$1');
  // A host or user starting with '-' would be read as an option by ssh (ENV_SYNC_SSH_COMMAND).
  if (host === '' || host.startsWith('-') || user?.startsWith('-')) {
    throw new EnvSyncError('E_USAGE', `${url}: the host or user name is not valid`);
  }
  const portNumber = port === undefined ? undefined : Number(port);
  if (portNumber !== undefined && (portNumber < 1 || portNumber > 65535)) {
    throw new EnvSyncError('E_USAGE', `${url}: port ${port} is out of range`);
  }
  return {
    user,
    host,
    port: portNumber,
    path: remotePath(url, full !== null ? rawPath!.slice(1) : rawPath!, full !== null),
  };
}

/**
 * `~/rel` and `~` name the remote home, where the remote command starts: they become a relative path. In an
 * ssh:// URL a path without `~` is absolute; scp-like paths without a leading slash are relative already.
 */
function remotePath(url: string, afterSlash: string, sshScheme: boolean): string {
  if (afterSlash === '~' || afterSlash === '~/' || (!sshScheme && afterSlash === '')) return '.';
  if (afterSlash.startsWith('~/')) return afterSlash.slice(2);
  if (afterSlash.startsWith('~')) {
    throw new EnvSyncError('E_USAGE', `${url}: ~user paths are not supported; use an absolute path`);
  }
  return sshScheme ? `/${afterSlash}` : afterSlash;
}

/**
 * `<program> <service> '<path>'`: the program as configured (it may hold arguments, as git's
 * `remote.<name>.uploadpack` does), the path quoted for a POSIX shell. A relative path starting with `-`
 * gets `./` so that the remote program does not read it as an option.
 */
export function remoteCommand(program: string, service: string, path: string): string {
  const safePath = path.startsWith('-') ? `./${path}` : path;
  return `${program} ${service} ${shellQuote(safePath)}`;
}

/** Single quotes around everything; a quote inside becomes '\'' (close, escaped quote, reopen). */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** `ssh://user@host/abs/path`, the URL another machine clones `dir` of this one with. */
export function formatSshUrl(user: string, host: string, dir: string): string {
  return `ssh://${user}@${host.includes(':') ? `[${host}]` : host}${dir}`;
}

/** The `[user@]host` argument for an `ssh` command line. */
export function sshDestination(target: SshTarget): string {
  return target.user === undefined ? target.host : `${target.user}@${target.host}`;
}
