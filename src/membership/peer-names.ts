// Peer names within a group (docs/identity.md#names): a name is a label for people, so two peers of one group
// may not hold names that read the same. Pure decisions over a registry.

import type { PeerRecord, Registry } from './registry.ts';

/** Names compare as people read them: compatibility forms folded (NFKC), case ignored. */
function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

/**
 * The peer other than `key` (hex) that holds `name` at `time` (seconds): an approved peer, or a pending one
 * whose request has not lapsed. A revoked peer's name is free again.
 */
export function nameHolder(
  registry: Registry,
  name: string,
  key: string,
  time: number,
): PeerRecord | undefined {
  const wanted = nameKey(name);
  const self = registry.byHexKey(key);
  return registry
    .peers()
    .find(
      (peer) =>
        peer !== self &&
        (peer.state === 'approved' || (peer.state === 'pending' && (peer.expires ?? 0) >= time)) &&
        nameKey(peer.name) === wanted,
    );
}
