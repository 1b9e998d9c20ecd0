// What the reader role forbids (docs/membership.md#readers): a reader fetches and decrypts, and pushes nothing,
// authors no commit, signs no event. Receivers enforce it (rules.ts, commit-authorization.ts,
// certificate-access.ts); this refuses the same on the reader's own machine, before anything is written.

import { EnvSyncError } from '../errors.ts';
import type { Registry } from './registry.ts';

/** Throws E_READ_ONLY when `peerId` is an approved reader of `registry`; `action` says what it tried. */
export function refuseReader(registry: Registry, peerId: string, action: string): void {
  const self = registry.byPeerId(peerId);
  if (self?.state === 'approved' && self.role === 'reader') throw readOnlyError(peerId, action);
}

export function readOnlyError(peerId: string, action: string): EnvSyncError {
  return new EnvSyncError(
    'E_READ_ONLY',
    `this peer (${peerId}) is a reader: it can fetch and read values, not ${action}`,
  );
}

/**
 * Refuses a CI credential (ENV_SYNC_IDENTITY) unless its peer is, at the chain's tip, an approved reader of
 * this group with the keys the credential holds: revoking the reader cuts the credential off at once.
 */
export function requireCiReader(
  registry: Registry,
  group: string,
  credential: { readonly group: string; readonly peerId: string; readonly ageRecipient: string },
): void {
  const who = `the CI credential's peer ${credential.peerId}`;
  if (credential.group !== group) {
    throw new EnvSyncError(
      'E_GROUP_MISMATCH',
      `the CI credential is for group ${credential.group.slice(0, 12)}, not this repository's group ${group.slice(0, 12)}`,
    );
  }
  const record = registry.byPeerId(credential.peerId);
  if (record === undefined) throw new EnvSyncError('E_PEER_UNKNOWN', `${who} is not a member of this group`);
  if (record.state === 'revoked')
    throw new EnvSyncError('E_PEER_REVOKED', `${who} (${record.name}) was revoked`);
  if (record.state !== 'approved') {
    throw new EnvSyncError('E_PEER_UNKNOWN', `${who} (${record.name}) is not approved`);
  }
  if (record.role !== 'reader') {
    throw new EnvSyncError(
      'E_IDENTITY',
      `${who} (${record.name}) is not a reader; a CI credential is for a reader only`,
    );
  }
  if (record.ageRecipient !== credential.ageRecipient) {
    throw new EnvSyncError(
      'E_IDENTITY',
      `the CI credential's age key is not the one ${credential.peerId} registered`,
    );
  }
}

/**
 * Refuses to make a CI credential for `peerId` unless it is an approved reader: a credential is handed to
 * machines that are easy to leak from, so it is only ever made for a peer that cannot write.
 */
export function requireReaderSelf(registry: Registry, peerId: string): void {
  const self = registry.byPeerId(peerId);
  if (self?.state === 'approved' && self.role === 'reader') return;
  const standing =
    self === undefined
      ? 'not a member of this group'
      : self.state === 'approved'
        ? `an approved ${self.role} of this group`
        : `${self.state} in this group`;
  throw new EnvSyncError(
    'E_IDENTITY',
    `this identity (${peerId}) is ${standing}, not a reader: a CI credential is made only for a reader, so that a leaked one cannot write; have an admin approve a separate identity with --role reader`,
  );
}
