// What the reader role forbids (docs/membership.md#readers): a reader fetches and decrypts, and pushes nothing,
// authors no commit, signs no event. Receivers enforce it (rules.ts, commit-authorization.ts,
// certificate-access.ts); this refuses the same on the reader's own machine, before anything is written.

import { EnvSyncError } from '../errors.ts';
import type { Registry } from './registry.ts';

/** Throws E_READ_ONLY when `peerId` is an approved reader of `registry`; `action` says what it tried. */
export function refuseReader(registry: Registry, peerId: string, action: string): void {
  const self = registry.byPeerId(peerId);
  if (self?.state === 'approved' && self.role === 'reader') {
    throw new EnvSyncError(
      'E_READ_ONLY',
      `this peer (${peerId}) is a reader: it can fetch and read values, not ${action}`,
    );
  }
}
