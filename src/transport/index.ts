// Picks the pipe for a remote URL: a local path or file:// (a repository or a bundle file), http://, or
// https:// (secure-peer's mutual TLS, with the caller's certificate and pin). ssh:// comes in a later version.

import { promises as fs } from 'node:fs';
import { EnvSyncError } from '../errors.ts';
import type { Transport } from '../sync/transport-interface.ts';
import type { ServeOptions } from '../sync/upload-pack.ts';
import type { ClientTls } from './mutual-tls.ts';

/** What a client lends the server side of an in-process transport (a local path): the push check. */
export type LocalServeHooks = Pick<ServeOptions, 'beforeRefUpdates'>;

export async function openTransport(
  url: string,
  hooks: LocalServeHooks = {},
  tls?: ClientTls,
): Promise<Transport> {
  if (url.startsWith('http://')) return (await import('./http.ts')).httpTransport(url);
  if (url.startsWith('https://')) {
    if (tls === undefined)
      throw new EnvSyncError('E_MODE', `${url}: https:// is secure-peer's transport only`);
    return (await import('./http.ts')).httpTransport(url, tls);
  }
  if (url.startsWith('ssh://') || /^[^/:]+@[^/:]+:/.test(url)) {
    throw new EnvSyncError('E_REMOTE', `${url}: the trusted-owner-ssh transport is not available yet`);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file://')) {
    throw new EnvSyncError(
      'E_REMOTE',
      `${url}: unknown URL scheme (use a path, file://, http:// or https://)`,
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
