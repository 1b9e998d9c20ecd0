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
