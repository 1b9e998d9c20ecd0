// Loads an identity from its home directory, refusing key files others can read (like OpenSSH) and key
// files that do not match each other or identity.json.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EnvSyncError } from '../errors.ts';
import type { AgeDecryptionKey } from './age-envelope.ts';
import { parseAgeIdentityFile } from './age-identity-file.ts';
import { certificateFingerprint } from './certificate-fingerprint.ts';
import { SigningKey } from './ed25519.ts';
import type { IdentityFiles } from './identity.ts';
import { Identity } from './identity.ts';
import { IdentityMissingError, identityFiles } from './identity-files.ts';
import { decodeIdentityMetadata, type IdentityMetadata } from './identity-metadata.ts';
import { peerIdFromPublicKey } from './peer-id.ts';
import { assertPrivateDirectory, assertPrivateFile, ioError, shellQuote } from './private-files.ts';
import { parseRetiredAgeKeys } from './retired-age-keys.ts';

/** Reads a file after checking, on the open handle, that only its owner can use it. */
async function readChecked(path: string, kind: 'secret' | 'public', missing: () => Error): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing();
    throw ioError('read', path, error);
  }
  try {
    assertPrivateFile(path, await handle.stat(), kind);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Refuses an identity whose key files others can use, before any is read and whichever the command needs:
 * a world-readable signing key is a leak whether or not this command signs (docs/identity.md). A missing
 * file is left to the reader that needs it.
 */
export async function assertKeyFilesPrivate(files: IdentityFiles): Promise<void> {
  const checks: [string, 'secret' | 'public'][] = [
    [files.signingKey, 'secret'],
    [files.retiredSigningKey, 'secret'],
    [files.ageIdentityFile, 'secret'],
    [files.retiredAgeKeys, 'secret'],
    [files.tlsKey, 'secret'],
    [files.retiredTlsKey, 'secret'],
    [files.tlsCertificate, 'public'],
    [files.retiredTlsCertificate, 'public'],
  ];
  await Promise.all(
    checks.map(async ([path, kind]) => {
      let stats: Stats;
      try {
        stats = await stat(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw ioError('read', path, error);
      }
      assertPrivateFile(path, stats, kind);
    }),
  );
}

interface IdentityHome {
  readonly dir: string;
  readonly files: IdentityFiles;
  readonly metadata: IdentityMetadata;
  /** The error for a key file that is missing while identity.json is there. */
  readonly incomplete: (path: string) => () => Error;
}

/** Checks the directory's permissions and reads identity.json, the public record the key files must match. */
async function openIdentityHome(home: string): Promise<IdentityHome> {
  const dir = resolve(home);
  let dirStats: Stats;
  try {
    dirStats = await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new IdentityMissingError(dir);
    throw ioError('read', dir, error);
  }
  assertPrivateDirectory(dir, dirStats);
  const files = identityFiles(dir);
  const incomplete = (path: string) => () =>
    new EnvSyncError(
      'E_IDENTITY',
      `the identity in ${shellQuote(dir)} is incomplete: ${shellQuote(path)} is missing; restore it from a backup`,
    );
  const metadata = decodeIdentityMetadata(
    await readChecked(files.metadata, 'public', () => new IdentityMissingError(dir)),
    files.metadata,
  );
  await assertKeyFilesPrivate(files);
  return { dir, files, metadata, incomplete };
}

/** Refuses key files that do not derive what identity.json records. */
function checkMatchesMetadata(home: IdentityHome, derived: Partial<IdentityMetadata>): void {
  for (const [field, value] of Object.entries(derived)) {
    if (home.metadata[field as keyof IdentityMetadata] !== value) {
      throw new EnvSyncError(
        'E_IDENTITY',
        `${shellQuote(home.files.metadata)} does not match the key files beside it (${field} differs); restore the directory from a backup`,
      );
    }
  }
}

/** Loads the identity in `home`, refusing key files others can read and files that do not match each other. */
export async function loadIdentity(home: string): Promise<Identity> {
  const opened = await openIdentityHome(home);
  const { dir, files, metadata, incomplete } = opened;
  const [
    signingPem,
    ageText,
    tlsKeyPem,
    certificatePem,
    retiredAgeSecretKeys,
    retiredSigningKey,
    retiredTls,
  ] = await Promise.all([
    readChecked(files.signingKey, 'secret', incomplete(files.signingKey)),
    readChecked(files.ageIdentityFile, 'secret', incomplete(files.ageIdentityFile)),
    readChecked(files.tlsKey, 'secret', incomplete(files.tlsKey)),
    readChecked(files.tlsCertificate, 'public', incomplete(files.tlsCertificate)),
    readRetiredAgeSecretKeys(files),
    readRetiredSigningKey(files),
    readRetiredTls(files),
  ]);
  const signingKey = SigningKey.fromPkcs8Pem(signingPem);
  if (signingKey === null) {
    throw new EnvSyncError(
      'E_IDENTITY',
      `${shellQuote(files.signingKey)} is not an Ed25519 private key in PKCS#8 PEM form`,
    );
  }
  const age = await parseAgeIdentityFile(ageText, files.ageIdentityFile);
  const fingerprint = checkTlsPair(tlsKeyPem, certificatePem, files);
  const peerId = peerIdFromPublicKey(signingKey.publicKey);
  checkMatchesMetadata(opened, {
    peerId,
    signingPublicKey: Buffer.from(signingKey.publicKey).toString('hex'),
    ageRecipient: age.recipient,
    certificateFingerprint: fingerprint,
  });
  return new Identity({
    home: dir,
    name: metadata.name,
    createdAt: metadata.createdAt,
    peerId,
    signingKey,
    retiredSigningKey,
    ageRecipient: age.recipient,
    ageSecretKey: age.secretKey,
    retiredAgeSecretKeys,
    tlsKeyPem,
    certificatePem,
    certificateFingerprint: fingerprint,
    retiredTls,
    files,
  });
}

/**
 * Only what decrypting needs: the age identity file (permissions checked, its recipient matched against
 * identity.json). Reading a snapshot then parses no signing or TLS key, as ssh parses only the key it uses.
 */
export async function loadAgeDecryptionKey(
  home: string,
): Promise<Exclude<AgeDecryptionKey, string> & { peerId: string }> {
  const opened = await openIdentityHome(home);
  const { files, incomplete } = opened;
  const [ageText, retired] = await Promise.all([
    readChecked(files.ageIdentityFile, 'secret', incomplete(files.ageIdentityFile)),
    readRetiredAgeSecretKeys(files),
  ]);
  const age = await parseAgeIdentityFile(ageText, files.ageIdentityFile);
  checkMatchesMetadata(opened, { ageRecipient: age.recipient });
  const { secretKey } = age;
  return {
    ageRecipient: age.recipient,
    peerId: opened.metadata.peerId,
    ageSecretKey: () => secretKey,
    retiredAgeSecretKeys: () => retired,
  };
}

/** The secret keys of age-retired.txt, newest first; none when the identity was never rotated. */
async function readRetiredAgeSecretKeys(files: IdentityFiles): Promise<string[]> {
  const text = await readOptional(files.retiredAgeKeys);
  if (text === null) return [];
  const keys = await parseRetiredAgeKeys(text, files.retiredAgeKeys);
  return keys.map((key) => key.secretKey);
}

/** The signing key of signing-retired.key, or null when the identity was never rotated. */
async function readRetiredSigningKey(files: IdentityFiles): Promise<SigningKey | null> {
  const pem = await readOptional(files.retiredSigningKey);
  if (pem === null) return null;
  const key = SigningKey.fromPkcs8Pem(pem);
  if (key === null) {
    throw new EnvSyncError(
      'E_IDENTITY',
      `${shellQuote(files.retiredSigningKey)} is not an Ed25519 private key in PKCS#8 PEM form`,
    );
  }
  return key;
}

/** The TLS key and certificate from before the last rotation, checked to belong together; null if absent. */
async function readRetiredTls(files: IdentityFiles): Promise<{ key: string; cert: string } | null> {
  const [key, cert] = await Promise.all([
    readOptional(files.retiredTlsKey),
    readOptional(files.retiredTlsCertificate, 'public'),
  ]);
  if (key === null || cert === null) return null;
  checkTlsPair(key, cert, {
    ...files,
    tlsKey: files.retiredTlsKey,
    tlsCertificate: files.retiredTlsCertificate,
  });
  return { key, cert };
}

/** A secret file that exists only after a rotation: its text, permissions checked, or null when absent. */
async function readOptional(path: string, kind: 'secret' | 'public' = 'secret'): Promise<string | null> {
  const missing = new Error('absent');
  try {
    return await readChecked(path, kind, () => missing);
  } catch (error) {
    if (error === missing) return null;
    throw error;
  }
}

/** Parses the certificate, checks the TLS key belongs to it, and returns its fingerprint. */
function checkTlsPair(keyPem: string, certificatePem: string, files: IdentityFiles): string {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    throw new EnvSyncError(
      'E_IDENTITY',
      `${shellQuote(files.tlsCertificate)} is not a PEM X.509 certificate`,
    );
  }
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    throw new EnvSyncError('E_IDENTITY', `${shellQuote(files.tlsKey)} is not a PEM private key`);
  }
  if (!matches) {
    throw new EnvSyncError(
      'E_IDENTITY',
      `${shellQuote(files.tlsKey)} is not the key of ${shellQuote(files.tlsCertificate)}; restore both from a backup`,
    );
  }
  return certificateFingerprint(certificate.raw);
}
