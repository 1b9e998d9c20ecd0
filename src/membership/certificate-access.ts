// Who a TLS certificate is, in this group's registry (docs/transports.md#secure-peer-mutual-tls-13): what a
// server lets a client do, and whether a client may talk to a server. Pure decisions over a registry.

import { EnvSyncError } from '../errors.ts';
import { displayState, type PeerRecord, type Registry, ROTATED_TO } from './registry.ts';

/**
 * `full`: the whole protocol; `read`: fetch only, no push (a reader); `membership`: only the membership chain
 * (a pending peer); `refused`: nothing.
 */
export type PeerAccess = 'full' | 'read' | 'membership' | 'refused';

/** The access of the client presenting the certificate with `fingerprint`, at `now` (seconds). */
export function certificateAccess(registry: Registry, fingerprint: string, now: number): PeerAccess {
  const records = holders(registry, fingerprint);
  const approved = records.filter((record) => record.state === 'approved');
  if (approved.some((record) => record.role !== 'reader')) return 'full';
  if (approved.length > 0) return 'read';
  if (records.some((record) => displayState(record, now) === 'pending')) return 'membership';
  return 'refused';
}

/** The peer a client pins a server to: any approved peer of the registry, or one peer, or one certificate. */
export type ServerPin =
  | { readonly registry: Registry; readonly peerId?: string }
  | { readonly fingerprint: string; readonly peerId: string };

/** Throws, naming the fingerprint it saw, unless `fingerprint` is the certificate `pin` allows. */
export function checkServerCertificate(pin: ServerPin, fingerprint: string, server: string): void {
  const refuse = (why: string): never => {
    throw new EnvSyncError(
      'E_PEER_UNKNOWN',
      `${server} presented certificate ${fingerprint}, ${why}; refused before sending anything`,
    );
  };
  if ('fingerprint' in pin) {
    if (fingerprint !== pin.fingerprint) refuse(`not the certificate of ${pin.peerId} the invitation names`);
    return;
  }
  const approved = holders(pin.registry, fingerprint).filter((record) => record.state === 'approved');
  if (pin.peerId !== undefined) {
    const current = currentPeerId(pin.registry, pin.peerId);
    if (!approved.some((record) => record.peerId === current)) {
      refuse(`not that of ${pin.peerId} (remote.<name>.peer), or that peer is not approved`);
    }
    return;
  }
  if (approved.length === 0) refuse('which is not an approved peer of this group');
}

function holders(registry: Registry, fingerprint: string): PeerRecord[] {
  return registry.peers().filter((record) => record.certificateFingerprint === fingerprint);
}

/**
 * The id a peer goes by now: `peerId` itself, or the key it rotated to, through every rotation since, so that a
 * pin on a peer (remote.<name>.peer) follows its rotations. A rotation is signed by the rotated key itself,
 * which is how it is told apart from a revocation whose reason merely reads the same.
 */
export function currentPeerId(registry: Registry, peerId: string): string {
  const seen = new Set<string>();
  for (let at = peerId; ; ) {
    const record = registry.byPeerId(at);
    const next = record?.reason?.startsWith(ROTATED_TO) ? record.reason.slice(ROTATED_TO.length) : null;
    const successor = next === null ? undefined : registry.byPeerId(next);
    if (record?.by !== at || successor === undefined || seen.has(at)) return at;
    seen.add(at);
    at = successor.peerId;
  }
}
