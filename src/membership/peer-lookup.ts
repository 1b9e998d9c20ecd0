// Finding a peer from what a person types: a whole peer id (any case, dashes optional), a unique prefix of one
// (at least 4 characters), or a peer's name (any case). Several matches are an error that lists them: a name
// is only a label, and two peers may share one.

import { parsePeerId } from '../crypto/peer-id.ts';
import { EnvSyncError } from '../errors.ts';
import { didYouMean } from '../suggest.ts';
import type { PeerRecord, Registry } from './registry.ts';

const MIN_PREFIX = 4;

export function findPeer(registry: Registry, text: string): PeerRecord {
  const typed = text.replace(/[-\s]/g, '').toUpperCase();
  if (typed.length >= 36) {
    // A whole id: checked (length, alphabet, check characters) so a typo is named as one.
    const peerId = parsePeerId(text);
    return registry.byPeerId(peerId) ?? unknown(`peer ${peerId} is not in this group's registry`);
  }
  const byName = registry.peers().filter((peer) => peer.name.toLowerCase() === text.trim().toLowerCase());
  const byPrefix =
    typed.length >= MIN_PREFIX && /^[A-Z2-7]+$/.test(typed)
      ? registry.peers().filter((peer) => peer.peerId.replaceAll('-', '').startsWith(typed))
      : [];
  const found = [...new Set([...byName, ...byPrefix])];
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    const hint =
      typed.length < MIN_PREFIX && byName.length === 0
        ? ` (an id prefix needs ${MIN_PREFIX} characters or more)`
        : '';
    const named = didYouMean(
      text.trim(),
      registry.peers().map((peer) => peer.name),
    );
    return unknown(
      `no peer of this group is named or has an id starting with '${text.slice(0, 60)}'${named}${hint}`,
    );
  }
  const list = found.map((peer) => `${peer.peerId} (${peer.name}, ${peer.state})`).join(', ');
  throw new EnvSyncError(
    'E_AMBIGUOUS',
    `'${text.slice(0, 60)}' matches ${found.length} peers: ${list}; give more of the id`,
  );
}

function unknown(message: string): never {
  throw new EnvSyncError('E_PEER_UNKNOWN', `${message} (see 'env-sync peer list')`);
}
