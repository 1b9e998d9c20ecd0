// `env-sync clone --peer <fingerprint> https://host:port`: a clone with no invitation, the server pinned to the
// certificate fingerprint its owner reads out (`serve` prints it), as OpenSSH pins a host key. Without --peer
// the handshake shows the fingerprint and nothing is sent. A peer the server does not serve is told to join
// with an invitation (docs/transports.md#secure-peer-mutual-tls-13).

import { nowSeconds } from '../../clock.ts';
import { EnvSyncError, isEnvSyncError } from '../../errors.ts';
import type { Repository } from '../../store/repository.ts';
import { NOT_A_PEER } from '../../transport/http.ts';
import type { ClientTls } from '../../transport/mutual-tls.ts';
import { loadThisPeer } from '../session.ts';

/** `sha256:<64 hex>` (as `identity show` prints it) or the 64 hex alone (as `serve` does), lowercased. */
export function parseFingerprint(text: string): string {
  const hex = text.toLowerCase().replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new EnvSyncError(
      'E_USAGE',
      '--peer takes a certificate fingerprint: 64 hex digits, as serve prints it',
    );
  }
  return hex;
}

/** This peer's certificate, and a pin on `fingerprint`; with none, every server is refused with its own. */
export async function pinnedClientTls(url: string, fingerprint: string | undefined): Promise<ClientTls> {
  const identity = await loadThisPeer();
  return {
    credentials: identity.tlsCredentials(),
    checkServer(seen) {
      if (fingerprint === undefined) {
        throw new EnvSyncError(
          'E_PEER_UNKNOWN',
          `${url} presented certificate ${seen}, which nothing here pins; check it with the server's owner, then run: env-sync clone --peer ${seen} ${url}`,
        );
      }
      if (seen !== fingerprint) {
        throw new EnvSyncError(
          'E_PEER_UNKNOWN',
          `${url} presented certificate ${seen}, not the one --peer names; refused before sending anything`,
        );
      }
    },
  };
}

/** Whether a clone failed because the server does not serve this peer's certificate. */
export function isRefusedAsStranger(error: unknown): boolean {
  return isEnvSyncError(error, 'E_REMOTE') && error.message.endsWith(NOT_A_PEER);
}

/**
 * The error a clone refused as a stranger ends with: who this peer is, and that joining takes an invitation (the
 * server tells a certificate it does not know nothing, not even the group it serves).
 */
export async function strangerError(url: string): Promise<EnvSyncError> {
  const identity = await loadThisPeer();
  return new EnvSyncError(
    'E_PEER_UNKNOWN',
    `${url} does not serve this peer (${identity.peerId}): it is not an approved peer of that group; to join, ask an admin there for an invitation (env-sync peer invite) and clone with it`,
  );
}

/** The approved peer of the cloned group that holds the pinned certificate, which `origin` is pinned to. */
export async function pinnedPeerId(repo: Repository, fingerprint: string, url: string): Promise<string> {
  const { loadRegistry } = await import('../../membership/chain-store.ts');
  const registry = (await loadRegistry(repo, nowSeconds()))?.registry;
  const holder = registry
    ?.peers()
    .find((record) => record.certificateFingerprint === fingerprint && record.state === 'approved');
  if (holder === undefined) {
    throw new EnvSyncError(
      'E_PEER_UNKNOWN',
      `${url} serves a group in which its certificate is not an approved peer's; nothing was cloned`,
    );
  }
  return holder.peerId;
}
