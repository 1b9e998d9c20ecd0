// A peer's identity in memory: its name, peer id, public keys and (privately) its secret keys; signing
// with it, and the JSON-able public view that `env-sync identity show` prints.

import type { AgeRecipient } from './age-recipient.ts';
import type { SigningKey } from './ed25519.ts';
import type { PeerId } from './peer-id.ts';

/** Absolute paths of the files that make up an identity (see identity-store.ts for the layout). */
export interface IdentityFiles {
  metadata: string;
  signingKey: string;
  /** The signing key before the last rotation, kept to sign that rotation again if it loses a fork. */
  retiredSigningKey: string;
  ageIdentityFile: string;
  /** The age keys of earlier rotations (retired-age-keys.ts); absent until the first rotation. */
  retiredAgeKeys: string;
  tlsKey: string;
  /** The TLS key and certificate before the last rotation, served to peers that still ask for them by SNI. */
  retiredTlsKey: string;
  retiredTlsCertificate: string;
  tlsCertificate: string;
}

export interface IdentityFields {
  home: string;
  name: string;
  createdAt: string;
  peerId: PeerId;
  signingKey: SigningKey;
  /** The signing key before the last rotation, if any (docs/identity.md#key-rotation). */
  retiredSigningKey?: SigningKey | null;
  ageRecipient: AgeRecipient;
  ageSecretKey: string;
  /** The age keys held before each rotation, newest first; snapshots sealed to them stay readable. */
  retiredAgeSecretKeys?: readonly string[];
  tlsKeyPem: string;
  certificatePem: string;
  certificateFingerprint: string;
  /** The TLS key and certificate before the last rotation, if any. */
  retiredTls?: { key: string; cert: string } | null;
  files: IdentityFiles;
}

/**
 * Secret parts live in private fields and behind methods, so logging, inspecting or JSON-serializing an
 * identity never prints a key.
 */
export class Identity {
  readonly home: string;
  readonly name: string;
  readonly createdAt: string;
  readonly peerId: PeerId;
  readonly signingKey: SigningKey;
  readonly retiredSigningKey: SigningKey | null;
  readonly ageRecipient: AgeRecipient;
  readonly certificatePem: string;
  /** Lowercase hex SHA-256 of the certificate's DER bytes. */
  readonly certificateFingerprint: string;
  readonly files: IdentityFiles;
  readonly #ageSecretKey: string;
  readonly #retiredAgeSecretKeys: readonly string[];
  readonly #tlsKeyPem: string;
  readonly #retiredTls: { key: string; cert: string } | null;

  constructor(fields: IdentityFields) {
    this.home = fields.home;
    this.name = fields.name;
    this.createdAt = fields.createdAt;
    this.peerId = fields.peerId;
    this.signingKey = fields.signingKey;
    this.retiredSigningKey = fields.retiredSigningKey ?? null;
    this.ageRecipient = fields.ageRecipient;
    this.certificatePem = fields.certificatePem;
    this.certificateFingerprint = fields.certificateFingerprint;
    this.files = fields.files;
    this.#ageSecretKey = fields.ageSecretKey;
    this.#retiredAgeSecretKeys = fields.retiredAgeSecretKeys ?? [];
    this.#tlsKeyPem = fields.tlsKeyPem;
    this.#retiredTls = fields.retiredTls ?? null;
  }

  get signingPublicKey(): Uint8Array {
    return this.signingKey.publicKey;
  }

  /** `AGE-SECRET-KEY-1…`: pass the identity itself to decryptWithIdentity rather than this where possible. */
  ageSecretKey(): string {
    return this.#ageSecretKey;
  }

  /** The age keys of earlier rotations: decryption tries them when the current key opens nothing. */
  retiredAgeSecretKeys(): readonly string[] {
    return this.#retiredAgeSecretKeys;
  }

  /** Key and certificate PEMs in the shape `tls.createServer` / `tls.connect` options take. */
  tlsCredentials(): { key: string; cert: string } {
    return { key: this.#tlsKeyPem, cert: this.certificatePem };
  }

  /** The TLS credentials from before the last rotation (with retiredSigningKey), or null. */
  retiredTlsCredentials(): { key: string; cert: string } | null {
    return this.#retiredTls;
  }

  toJSON(): IdentityPublicInfo {
    return identityPublicInfo(this);
  }
}

/** Everything about an identity that may be shown or shared; what `identity show --json` prints. */
export interface IdentityPublicInfo {
  peerId: PeerId;
  name: string;
  createdAt: string;
  /** Raw 32-byte Ed25519 public key as 64 lowercase hex characters (like object ids). */
  signingPublicKey: string;
  ageRecipient: AgeRecipient;
  certificateFingerprint: string;
  home: string;
  /** The age identity file's path, also under `files`: `age -d -i <ageIdentityFile>` reads it. */
  ageIdentityFile: string;
  files: IdentityFiles;
}

export function identityPublicInfo(identity: Identity): IdentityPublicInfo {
  return {
    peerId: identity.peerId,
    name: identity.name,
    createdAt: identity.createdAt,
    signingPublicKey: Buffer.from(identity.signingPublicKey).toString('hex'),
    ageRecipient: identity.ageRecipient,
    certificateFingerprint: identity.certificateFingerprint,
    home: identity.home,
    ageIdentityFile: identity.files.ageIdentityFile,
    files: { ...identity.files },
  };
}

/** A 64-byte Ed25519 signature of `message`; check it with `verifySignature` from ed25519.ts. */
export function sign(identity: Identity, message: Uint8Array): Uint8Array {
  return identity.signingKey.sign(message);
}
