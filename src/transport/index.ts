// Picks the pipe for a remote URL: a local path or file:// (a repository or a bundle file), http://, ssh:// or
// scp-like `[user@]host:path` (trusted-owner-ssh), or https:// (secure-peer's mutual TLS, with the caller's pin).

import { promises as fs } from 'node:fs';
import { EnvSyncError } from '../errors.ts';
import { remoteUrlScheme } from '../sync/remotes.ts';
import type { Transport } from '../sync/transport-interface.ts';
import type { ServeOptions } from '../sync/upload-pack.ts';
import type { ClientTls } from './mutual-tls.ts';
import type { SshOptions } from './ssh.ts';

/** What a client lends the server side of an in-process transport (a local path): the push check. */
export type LocalServeHooks = Pick<ServeOptions, 'beforeRefUpdates'>;

export async function openTransport(
  url: string,
  hooks: LocalServeHooks = {},
  ssh: SshOptions = {},
  tls?: ClientTls,
): Promise<Transport> {
  if (url.startsWith('http://')) return (await import('./http.ts')).httpTransport(url);
  if (url.startsWith('https://')) {
    if (tls === undefined)
      throw new EnvSyncError('E_MODE', `${url}: https:// is secure-peer's transport only`);
    return (await import('./http.ts')).httpTransport(url, tls);
  }
  if (remoteUrlScheme(url) === 'ssh') return (await import('./ssh.ts')).sshTransport(url, ssh);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file://')) {
    throw new EnvSyncError(
      'E_REMOTE',
      `${url}: unknown URL scheme (use a path, file://, http://, https:// or ssh://)`,
    );
  }
  const { localPath, localTransport } = await import('./local.ts');
  const file = localPath(url);
  const stat = await fs.stat(file).catch(() => null);
  if (stat === null) throw new EnvSyncError('E_REMOTE', `'${url}' does not exist`);
  if (stat.isFile()) {
    const { bundleTransport } = await import('./bundle.ts');
    return bundleTransport(url, file);
  }
  return localTransport(url, hooks);
}
