// Encrypts bytes to age recipients as one standard binary age file (age-encrypt.ts), and decrypts with one
// identity (age-decrypt.ts), turning failures into distinct, one-line, secret-free EnvSyncErrors.

import { EnvSyncError } from '../errors.ts';
import {
  AgeDecryptError,
  AgeNoMatchError,
  decryptAge,
  type X25519Identity,
  x25519Identity,
} from './age-decrypt.ts';
import { AgeEncryptError, encryptAge } from './age-encrypt.ts';
import { decodeAgeSecretKey } from './age-identity-file.ts';
import { parseAgeRecipient, RecipientInvalidError } from './age-recipient.ts';

/**
 * What can decrypt: an `AGE-SECRET-KEY-1…` string, or an identity (see identity.ts) that holds one and maybe
 * the keys it held before its rotations, tried in turn when the current one opens no stanza.
 */
export type AgeDecryptionKey =
  | string
  | {
      ageSecretKey(): string;
      ageRecipient: string;
      peerId?: string;
      retiredAgeSecretKeys?(): readonly string[];
    };

export interface DecryptOptions {
  /** Names the file in messages, e.g. `snapshot 3fa2c1d`; default `the age file`. */
  subject?: string;
}

/**
 * Raised when the identity is not among the file's recipients; carries what a caller needs to say so.
 * age cannot tell this apart from a recipient stanza altered in transit: both mean no stanza opens.
 */
export class NotRecipientError extends EnvSyncError {
  readonly subject: string;
  readonly recipientCount: number;
  readonly ageRecipient: string;
  readonly peerId: string | undefined;

  constructor(subject: string, recipientCount: number, ageRecipient: string, peerId: string | undefined) {
    const who = peerId === undefined ? `this identity (${ageRecipient})` : `this peer (${peerId})`;
    const plural = recipientCount === 1 ? '' : 's';
    super(
      'E_NOT_RECIPIENT',
      `${subject} is not encrypted to ${who}: none of its ${recipientCount} recipient${plural} matches; ` +
        'ask a peer that can read it to re-encrypt it to you',
    );
    this.subject = subject;
    this.recipientCount = recipientCount;
    this.ageRecipient = ageRecipient;
    this.peerId = peerId;
  }
}

/**
 * Encrypts `plaintext` to every recipient (at least one, `age1…`), as binary age v1. A recipient that is not
 * valid (see parseAgeRecipient) is a RecipientInvalidError naming it.
 */
export async function encryptToRecipients(
  plaintext: Uint8Array,
  recipients: readonly string[],
): Promise<Uint8Array> {
  if (recipients.length === 0) {
    throw new EnvSyncError('E_USAGE', 'cannot encrypt to an empty recipient list');
  }
  const unique = [...new Set(recipients)];
  try {
    return encryptAge(plaintext, unique.map(parseAgeRecipient));
  } catch (error) {
    // parseAgeRecipient refuses every low-order point already; this is the encryption's own check (age's).
    if (error instanceof AgeEncryptError) {
      throw new RecipientInvalidError(unique[error.index]!, 'it gives an all-zero X25519 shared secret');
    }
    throw error;
  }
}

/** Decrypts a binary age file with one identity; errors are E_NOT_RECIPIENT (NotRecipientError) or E_DECRYPT. */
export async function decryptWithIdentity(
  ciphertext: Uint8Array,
  key: AgeDecryptionKey,
  options: DecryptOptions = {},
): Promise<Uint8Array> {
  const subject = options.subject ?? 'the age file';
  try {
    return decryptWithAnyKey(ciphertext, key);
  } catch (error) {
    if (error instanceof AgeNoMatchError) {
      const recipient =
        typeof key === 'string'
          ? await (await import('age-encryption')).identityToRecipient(key)
          : key.ageRecipient;
      const peerId = typeof key === 'string' ? undefined : key.peerId;
      throw new NotRecipientError(subject, countRecipientStanzas(ciphertext), recipient, peerId);
    }
    if (!(error instanceof AgeDecryptError)) throw error;
    // No `cause`: keep the decryptor's error (and anything it holds) out of what is printed or logged.
    throw new EnvSyncError('E_DECRYPT', `cannot decrypt ${subject}: ${describeFailure(error)}`);
  }
}

/** Decrypts with the current key, else with each retired key; AgeNoMatchError when none opens a stanza. */
function decryptWithAnyKey(ciphertext: Uint8Array, key: AgeDecryptionKey): Uint8Array {
  try {
    return decryptAge(ciphertext, identityFor(key));
  } catch (error) {
    const retired = typeof key === 'string' ? [] : (key.retiredAgeSecretKeys?.() ?? []);
    if (!(error instanceof AgeNoMatchError) || retired.length === 0) throw error;
    for (const secretKey of retired) {
      try {
        return decryptAge(ciphertext, identityFor(secretKey));
      } catch (retiredError) {
        if (!(retiredError instanceof AgeNoMatchError)) throw retiredError;
      }
    }
    throw error;
  }
}

// Making an identity derives its public key (one X25519 operation): reuse one per identity object for
// repeated reads.
const identities = new WeakMap<object, X25519Identity>();

function identityFor(key: AgeDecryptionKey): X25519Identity {
  const cached = typeof key === 'string' ? undefined : identities.get(key);
  if (cached !== undefined) return cached;
  const secretKey = typeof key === 'string' ? key : key.ageSecretKey();
  const scalar = decodeAgeSecretKey(secretKey, 'the identity given to decrypt');
  const identity = x25519Identity(scalar);
  scalar.fill(0);
  if (typeof key !== 'string') identities.set(key, identity);
  return identity;
}

/** One clause on what is wrong (the decryptor's messages never quote the input). */
function describeFailure({ failure, message }: AgeDecryptError): string {
  switch (failure) {
    case 'hmac':
      return 'its header was modified (the header MAC does not match)';
    case 'payload':
      return message === 'invalid tag'
        ? 'its payload was modified or truncated (authentication failed)'
        : `its payload was modified or truncated (age: ${message})`;
    case 'unsupported':
      return 'it is encrypted with a passphrase, which env-sync does not read';
    case 'header':
      if (message === 'invalid version line')
        return "it is not an age file (no 'age-encryption.org/v1' line)";
      if (message.startsWith('stream ended')) return 'it is truncated (it ends before the payload nonce)';
      return `its header is malformed or truncated (age: ${message})`;
  }
}

/** How many `-> ` stanzas the header lists, for messages; 0 if the header cannot be read. */
function countRecipientStanzas(ciphertext: Uint8Array): number {
  const head = Buffer.from(ciphertext.subarray(0, 64 * 1024)).toString('latin1');
  const end = head.indexOf('\n--- ');
  if (end === -1) return 0;
  return head
    .slice(0, end)
    .split('\n')
    .filter((line) => line.startsWith('-> ')).length;
}
