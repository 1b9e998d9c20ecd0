// Who can read a new snapshot, and whether it is encrypted at all: the policy each security mode sets
// (docs/security.md#what-is-encrypted-where). In secure-peer the readers come from the verified membership chain.

import { nowSeconds } from '../clock.ts';
import type { Repository } from '../store/repository.ts';

/** secure-peer always encrypts; trusted-owner-ssh when `core.encrypt` is true; dev-plaintext-http never. */
export function encryptsAtRest(repo: Repository): boolean {
  const mode = repo.mode;
  return (
    mode === 'secure-peer' || (mode === 'trusted-owner-ssh' && repo.config.get('core.encrypt') === 'true')
  );
}

/** Extra readers configured with `env-sync config set encrypt.recipients age1…,age1…`. */
export function configuredRecipients(repo: Repository): string[] {
  return recipientList(repo.config.get('encrypt.recipients') ?? '');
}

/** The recipients of an `encrypt.recipients` value: comma-separated, blanks around each ignored. */
export function recipientList(value: string): string[] {
  return value
    .split(',')
    .map((recipient) => recipient.trim())
    .filter((recipient) => recipient !== '');
}

/**
 * In secure-peer the readers of a new snapshot are exactly the approved peers of the membership chain
 * (docs/membership.md#secrets-follow-membership); null elsewhere, or when the repository has no chain yet.
 */
export async function approvedReaders(repo: Repository): Promise<string[] | null> {
  if (repo.mode !== 'secure-peer') return null;
  const { loadRegistry } = await import('../membership/chain-store.ts');
  const loaded = await loadRegistry(repo, nowSeconds());
  if (loaded === null) return null;
  return loaded.registry.approved().map((peer) => peer.ageRecipient);
}

/** Whose a recipient is, for a seal that refuses it: an approved peer's, or one from encrypt.recipients. */
export async function readerOf(repo: Repository, recipient: string): Promise<string> {
  if (repo.mode === 'secure-peer') {
    const { loadRegistry } = await import('../membership/chain-store.ts');
    const loaded = await loadRegistry(repo, nowSeconds());
    const peer = loaded?.registry.approved().find((approved) => approved.ageRecipient === recipient);
    if (peer !== undefined) return `peer ${peer.name} (${peer.peerId})`;
  }
  return 'a recipient of encrypt.recipients';
}

/**
 * Why this peer cannot open a snapshot, in words it can act on: not approved yet, revoked, or approved after
 * the snapshot was sealed. `what` names the snapshot.
 */
export async function whyUnreadable(repo: Repository, peerId: string, what: string): Promise<string> {
  const me = `you (${peerId.slice(0, 13)})`;
  if (repo.mode !== 'secure-peer')
    return `${what} is not encrypted to ${me}; ask its owner to add you to encrypt.recipients`;
  const { loadRegistry } = await import('../membership/chain-store.ts');
  const registry = (await loadRegistry(repo, nowSeconds()))?.registry;
  const record = registry?.byPeerId(peerId);
  const when = (time: number) => new Date(time * 1000).toISOString().replace('.000Z', 'Z');
  if (record === undefined) {
    return `${me} are not a member of this group yet, so ${what} cannot be read; ask to join with 'env-sync peer request' (a request sent is waiting for an admin's approval)`;
  }
  if (record.state === 'pending') {
    return `${me} are waiting for approval by an admin since ${when(record.since.time)}; values become readable once approved (key names work now: 'env-sync list')`;
  }
  if (record.state === 'revoked') {
    const by = registry?.byPeerId(record.by)?.name ?? record.by.slice(0, 13);
    return `${me} were revoked by ${by} at ${when(record.since.time)}; rejoin with a new request ('env-sync peer request')`;
  }
  return `${what} was sealed before ${me} became a reader (approved at ${when(record.since.time)}); newer commits are readable, or ask a member to re-seal this environment`;
}

/** `alice (QAVQCC…)` for a member of the chain, else the peer id as it is (modes without membership). */
export async function authorNames(repo: Repository): Promise<(peerId: string) => string> {
  if (repo.mode !== 'secure-peer') return (peerId) => peerId;
  const { loadRegistry } = await import('../membership/chain-store.ts');
  const registry = (await loadRegistry(repo, nowSeconds()))?.registry;
  return (peerId) => {
    const name = registry?.byPeerId(peerId)?.name;
    return name === undefined ? peerId : `${name} (${peerId.slice(0, 6)}…)`;
  };
}
