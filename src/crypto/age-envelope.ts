// Encrypts bytes to age recipients as one standard binary age file (age-encrypt.ts), and decrypts with one
// identity (age-decrypt.ts), turning failures into distinct, one-line, secret-free EnvSyncErrors.

import { EnvSyncError } from '../errors.ts';
import { AgeNoMatchError, decryptAge, type X25519Identity, x25519Identity } from './age-decrypt.ts';
import { AgeEncryptError, encryptAge } from './age-encrypt.ts';
import { checkAgeSecretKey } from './age-identity-file.ts';
import { parseAgeRecipient } from './age-recipient.ts';
import { decodeBech32 } from './bech32.ts';

/** What can decrypt: an `AGE-SECRET-KEY-1…` string, or an identity (see identity.ts) that holds one. */
export type AgeDecryptionKey = string | { ageSecretKey(): string; ageRecipient: string; peerId?: string };

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

/** Encrypts `plaintext` to every recipient (at least one, `age1…`), as binary age v1. */
export async function encryptToRecipients(
  plaintext: Uint8Array,
  recipients: readonly string[],
): Promise<Uint8Array> {
  if (recipients.length === 0) {
    throw new EnvSyncError('E_USAGE', 'cannot encrypt to an empty recipient list');
  }
  const keys = [...new Set(recipients.map(parseAgeRecipient))].map((recipient) => {
    const decoded = decodeBech32(recipient);
    if (!decoded.ok) throw new Error('unreachable: parseAgeRecipient accepted the recipient');
    return decoded.bytes;
  });
  try {
    return encryptAge(plaintext, keys);
  } catch (error) {
    if (error instanceof AgeEncryptError)
      throw new EnvSyncError('E_USAGE', `cannot encrypt: ${error.message}`);
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
  const identity = identityFor(key);
  try {
    return decryptAge(ciphertext, identity);
  } catch (error) {
    if (error instanceof AgeNoMatchError) {
      const recipient =
        typeof key === 'string'
          ? await (await import('age-encryption')).identityToRecipient(key)
          : key.ageRecipient;
      const peerId = typeof key === 'string' ? undefined : key.peerId;
      throw new NotRecipientError(subject, countRecipientStanzas(ciphertext), recipient, peerId);
    }
    const message = error instanceof Error ? error.message : String(error);
    // No `cause`: keep the decryptor's error (and anything it holds) out of what is printed or logged.
    throw new EnvSyncError('E_DECRYPT', `cannot decrypt ${subject}: ${describeFailure(message)}`);
  }
}

// Making an identity derives its public key (one X25519 operation): reuse one per identity object for
// repeated reads.
const identities = new WeakMap<object, X25519Identity>();

function identityFor(key: AgeDecryptionKey): X25519Identity {
  const cached = typeof key === 'string' ? undefined : identities.get(key);
  if (cached !== undefined) return cached;
  const secretKey = typeof key === 'string' ? key : key.ageSecretKey();
  checkAgeSecretKey(secretKey, 'the identity given to decrypt');
  const decoded = decodeBech32(secretKey);
  if (!decoded.ok) throw new Error('unreachable: checkAgeSecretKey accepted the key');
  const identity = x25519Identity(decoded.bytes);
  decoded.bytes.fill(0);
  if (typeof key !== 'string') identities.set(key, identity);
  return identity;
}

/** One clause on what is wrong, from the decryptor's message (typage's wording; it never quotes the input). */
function describeFailure(message: string): string {
  if (message.startsWith('invalid version')) return "it is not an age file (no 'age-encryption.org/v1' line)";
  if (message === 'invalid header HMAC') return 'its header was modified (the header MAC does not match)';
  if (message === 'invalid tag') return 'its payload was modified or truncated (authentication failed)';
  if (message.startsWith('stream ended')) return 'it is truncated (it ends before the payload nonce)';
  if (/^invalid (stanza|header|non-ASCII|X25519)/.test(message)) {
    return `its header is malformed or truncated (age: ${message})`;
  }
  if (/base64|unknown letter|padding/i.test(message))
    return 'its header is malformed (a stanza is not valid base64)';
  // Unknown library failure: keep its text, bounded and on one line.
  const clean = message.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 120);
  return `it is damaged (age: ${clean})`;
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
