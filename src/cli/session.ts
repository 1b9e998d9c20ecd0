// Builds the Session a command works in: the repository, this machine's identity (created on first need in
// $ENV_SYNC_HOME) and the snapshot codec the repository's mode calls for.

import { readFile } from 'node:fs/promises';
import type { AgeDecryptionKey } from '../crypto/age-envelope.ts';
import { CI_CREDENTIAL_VARIABLE, ciCredential } from '../crypto/ci-credential.ts';
import type { Identity } from '../crypto/identity.ts';
import { EnvSyncError } from '../errors.ts';
import { ageCodec } from '../model/age-codec.ts';
import type { Session } from '../model/environment.ts';
import {
  approvedReaders,
  configuredRecipients,
  encryptsAtRest,
  readerOf,
  whyUnreadable,
} from '../model/readers.ts';
import type { Repository } from '../store/repository.ts';
import { readerSession, refuseReaderOf } from './reader-session.ts';

/**
 * Loaded lazily: identity files pull in age and X25519 code that read-only plaintext commands never need.
 * Made on first use, named `name` (`init --name`, `clone --name`), else as the user answers at a terminal,
 * else `user@host`; an existing identity under another name is refused rather than renamed behind the
 * group's back. A CI credential has no signing or TLS key: what needs them is refused while one is given.
 */
export async function loadThisPeer(options: { readonly name?: string } = {}): Promise<Identity> {
  if ((await ciCredential()) !== null) {
    throw new EnvSyncError(
      'E_READ_ONLY',
      `${CI_CREDENTIAL_VARIABLE} holds a CI reader's credential, which only reads values; this command needs an identity of its own (unset ${CI_CREDENTIAL_VARIABLE})`,
    );
  }
  const [
    create,
    { defaultIdentityHome },
    { loadIdentity },
    { IdentityMissingError },
    { validateIdentityName },
  ] = await Promise.all([
    import('../crypto/create-identity.ts'),
    import('../crypto/identity-home.ts'),
    import('../crypto/load-identity.ts'),
    import('../crypto/identity-files.ts'),
    import('../crypto/identity-metadata.ts'),
  ]);
  const home = defaultIdentityHome(process.env);
  let identity: Identity;
  try {
    identity = await loadIdentity(home);
  } catch (error) {
    if (!(error instanceof IdentityMissingError)) throw error;
    const { askIdentityName } = await import('./identity-name-prompt.ts');
    const name = options.name ?? (await askIdentityName(create.defaultIdentityName()));
    return create.loadOrCreateIdentity(home, { name });
  }
  if (options.name !== undefined && validateIdentityName(options.name) !== identity.name) {
    throw new EnvSyncError(
      'E_IDENTITY',
      `this machine's identity is named ${JSON.stringify(identity.name)}; to change it run: env-sync identity rename ${JSON.stringify(options.name)}`,
    );
  }
  return identity;
}

/**
 * The peer id from identity.json without loading any key: a commit's author line needs only that, and a
 * plaintext `get` needs nothing at all. Null when there is no readable identity yet (then it is created).
 */
async function peekPeerId(): Promise<string | null> {
  const credential = await ciCredential();
  if (credential !== null) return credential.peerId;
  const [{ defaultIdentityHome }, { identityFiles }, { decodeIdentityMetadata }, { assertKeyFilesPrivate }] =
    await Promise.all([
      import('../crypto/identity-home.ts'),
      import('../crypto/identity-files.ts'),
      import('../crypto/identity-metadata.ts'),
      import('../crypto/load-identity.ts'),
    ]);
  const files = identityFiles(defaultIdentityHome(process.env));
  let peerId: string;
  try {
    peerId = decodeIdentityMetadata(await readFile(files.metadata, 'utf8'), files.metadata).peerId;
  } catch {
    return null;
  }
  await assertKeyFilesPrivate(files);
  return peerId;
}

/**
 * Only the age key, for decrypting: an identity that is missing (or incomplete) is loaded, or created, whole
 * by `fallback`, which then explains what is wrong.
 */
async function loadDecryptionKey(fallback: () => Promise<Identity>): Promise<AgeDecryptionKey> {
  const [{ loadAgeDecryptionKey }, { defaultIdentityHome }] = await Promise.all([
    import('../crypto/load-identity.ts'),
    import('../crypto/identity-home.ts'),
  ]);
  try {
    return await loadAgeDecryptionKey(defaultIdentityHome(process.env));
  } catch {
    return fallback();
  }
}

/**
 * This peer's id, for authorship and reflogs: read from identity.json without loading keys (fetch, push and
 * plumbing need no key material in the plaintext modes), or from the identity, created on first need.
 */
export async function thisPeerId(): Promise<string> {
  return (await peekPeerId()) ?? (await loadThisPeer()).peerId;
}

/** The session loads this peer's keys only when a snapshot must be sealed or opened with age. */
export async function createSession(repo: Repository): Promise<Session> {
  const credential = await ciCredential();
  if (credential !== null) return readerSession(repo, credential);
  let identity: Promise<Identity> | undefined;
  const thisPeer = () => {
    identity ??= loadThisPeer();
    return identity;
  };
  let decryptionKey: Promise<AgeDecryptionKey> | undefined;
  // Not thisPeerId(): when identity.json is unreadable, the identity loaded here serves the codec too.
  const peerId = (await peekPeerId()) ?? (await thisPeer()).peerId;
  const codec = ageCodec({
    encrypt: encryptsAtRest(repo),
    recipients: async () => {
      // A new snapshot is only ever sealed for a commit, which a reader may not make: refused before any write.
      if (repo.mode === 'secure-peer') await refuseReaderOf(repo, peerId, 'commit');
      return (
        (await approvedReaders(repo)) ?? [(await thisPeer()).ageRecipient, ...configuredRecipients(repo)]
      );
    },
    readerOf: (recipient) => readerOf(repo, recipient),
    whyUnreadable: (what) => whyUnreadable(repo, peerId, what),
    decryptionKey: () => {
      decryptionKey ??= identity ?? loadDecryptionKey(thisPeer);
      return decryptionKey;
    },
  });
  // Commits are signed in secure-peer, where every receiver checks the author against the registry.
  const signCommit =
    repo.mode === 'secure-peer'
      ? async (message: Uint8Array) => {
          await refuseReaderOf(repo, peerId, 'commit');
          return (await thisPeer()).signingKey.sign(message);
        }
      : null;
  return { repo, peerId, codec, signCommit };
}
