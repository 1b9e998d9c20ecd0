// Builds the Session a command works in: the repository, this machine's identity (created on first need in
// $ENV_SYNC_HOME) and the snapshot codec the repository's mode calls for.

import type { Identity } from '../crypto/identity.ts';
import { ageCodec } from '../model/age-codec.ts';
import type { Session } from '../model/environment.ts';
import type { Repository } from '../store/repository.ts';

/** Loaded lazily: identity files pull in age and X25519 code that read-only plaintext commands never need. */
export async function loadThisPeer(): Promise<Identity> {
  const [{ loadOrCreateIdentity }, { defaultIdentityHome }] = await Promise.all([
    import('../crypto/create-identity.ts'),
    import('../crypto/identity-home.ts'),
  ]);
  return loadOrCreateIdentity(defaultIdentityHome(process.env));
}

/** secure-peer always encrypts; trusted-owner-ssh when `core.encrypt` is true; dev-plaintext-http never. */
export function encryptsAtRest(repo: Repository): boolean {
  const mode = repo.mode;
  return (
    mode === 'secure-peer' || (mode === 'trusted-owner-ssh' && repo.config.get('core.encrypt') === 'true')
  );
}

/** Extra readers configured with `env-sync config set encrypt.recipients age1…,age1…`. */
export function configuredRecipients(repo: Repository): string[] {
  const value = repo.config.get('encrypt.recipients') ?? '';
  return value
    .split(',')
    .map((recipient) => recipient.trim())
    .filter((recipient) => recipient !== '');
}

export async function createSession(repo: Repository): Promise<Session & { identity: Identity }> {
  const identity = await loadThisPeer();
  const codec = ageCodec({
    encrypt: encryptsAtRest(repo),
    recipients: async () => [identity.ageRecipient, ...configuredRecipients(repo)],
    decryptionKey: async () => identity,
  });
  return { repo, peerId: identity.peerId, codec, identity };
}
