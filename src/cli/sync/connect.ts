// What the sync commands share: turning a remote name into a transport, and the one-line ref move format.

import { nowSeconds } from '../../clock.ts';
import type { ServerPin } from '../../membership/certificate-access.ts';
import type { ObjectId } from '../../store/object-id.ts';
import { shortId } from '../../store/object-id.ts';
import type { Repository } from '../../store/repository.ts';
import { checkUrlAllowedInMode, remoteUrl } from '../../sync/remotes.ts';
import type { Transport } from '../../sync/transport-interface.ts';
import { type LocalServeHooks, openTransport } from '../../transport/index.ts';
import type { ClientTls } from '../../transport/mutual-tls.ts';
import type { SshOptions } from '../../transport/ssh.ts';
import { loadThisPeer } from '../session.ts';

export async function remoteTransport(
  repo: Repository,
  remote: string,
  hooks: LocalServeHooks = {},
  ssh: SshOptions = {},
): Promise<Transport> {
  const url = remoteUrl(repo, remote);
  checkUrlAllowedInMode(repo.mode, url);
  if (!url.startsWith('https://') || repo.mode !== 'secure-peer') return openTransport(url, hooks, ssh);
  const { loadRegistry, requireChain } = await import('../../membership/chain-store.ts');
  const loaded = await loadRegistry(repo, nowSeconds());
  if (loaded === null) await requireChain(repo); // throws: the repository has no membership chain
  const pin = { registry: loaded!.registry, peerId: repo.config.get(`remote.${remote}.peer`) };
  return openTransport(url, hooks, ssh, await clientTls(pin, `remote '${remote}'`));
}

/** This peer's certificate, and the pin every connection to the server must pass before it is used. */
export async function clientTls(pin: ServerPin, server: string): Promise<ClientTls> {
  const [identity, { checkServerCertificate, currentPeerId }] = await Promise.all([
    loadThisPeer(),
    import('../../membership/certificate-access.ts'),
  ]);
  // The peer id whose certificate this client expects, as SNI: a server that rotated its keys since the
  // client last synced presents its old certificate to it, so the client can fetch the rotation.
  const expected =
    pin.peerId === undefined
      ? undefined
      : 'registry' in pin
        ? currentPeerId(pin.registry, pin.peerId)
        : pin.peerId;
  return {
    credentials: identity.tlsCredentials(),
    checkServer: (fingerprint) => checkServerCertificate(pin, fingerprint, server),
    ...(expected === undefined ? {} : { serverName: expected.toLowerCase() }),
  };
}

/** `main: abc123..def456`, or `main: (new) def456` — ids only, never values. */
export function formatMove(env: string, old: ObjectId | null, next: ObjectId): string {
  return `${env}: ${old === null ? `(new) ${shortId(next)}` : `${shortId(old)}..${shortId(next)}`}`;
}
