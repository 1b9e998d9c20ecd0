// What the reader role changes in a command's session (docs/membership.md#readers): the early refusal of a
// reader's writes, and the session of a CI credential (ENV_SYNC_IDENTITY), which reads and never writes.

import { nowSeconds } from '../clock.ts';
import { CI_CREDENTIAL_VARIABLE, type CiCredential } from '../crypto/ci-credential.ts';
import { EnvSyncError } from '../errors.ts';
import { ageCodec } from '../model/age-codec.ts';
import type { Session } from '../model/environment.ts';
import { whyUnreadable } from '../model/readers.ts';
import type { Repository } from '../store/repository.ts';

/** Refuses, before anything is written, what a reader may not do: every receiver would refuse it anyway. */
export async function refuseReaderOf(repo: Repository, peerId: string, action: string): Promise<void> {
  const [{ loadRegistry }, { refuseReader }] = await Promise.all([
    import('../membership/chain-store.ts'),
    import('../membership/reader-role.ts'),
  ]);
  const loaded = await loadRegistry(repo, nowSeconds());
  if (loaded !== null) refuseReader(loaded.registry, peerId, action);
}

/**
 * A session that reads as the reader a CI credential names: only in secure-peer, and only while the chain's
 * tip has that peer approved as a reader with the credential's keys. It seals and signs nothing.
 */
export async function readerSession(repo: Repository, credential: CiCredential): Promise<Session> {
  if (repo.mode !== 'secure-peer') {
    throw new EnvSyncError(
      'E_MODE',
      `${CI_CREDENTIAL_VARIABLE} reads secure-peer repositories only; this one is ${repo.mode}`,
    );
  }
  const [{ requireRegistry }, { readOnlyError, requireCiReader }] = await Promise.all([
    import('../membership/chain-store.ts'),
    import('../membership/reader-role.ts'),
  ]);
  requireCiReader(await requireRegistry(repo, nowSeconds()), repo.group, credential);
  const { peerId } = credential;
  const codec = ageCodec({
    encrypt: true,
    recipients: () => Promise.reject(readOnlyError(peerId, 'commit')),
    whyUnreadable: (what) => whyUnreadable(repo, peerId, what),
    decryptionKey: async () => credential,
  });
  return { repo, peerId, codec, signCommit: () => Promise.reject(readOnlyError(peerId, 'commit')) };
}
