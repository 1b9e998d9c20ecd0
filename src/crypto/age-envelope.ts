// Encrypts bytes to age recipients as one standard binary age file, and decrypts with one identity,
// turning the library's errors into distinct, one-line, secret-free EnvSyncErrors.

import { Decrypter, Encrypter, identityToRecipient } from 'age-encryption';
import { EnvSyncError } from '../errors.ts';
import { checkAgeSecretKey } from './age-identity-file.ts';
import { parseAgeRecipient } from './age-recipient.ts';

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
  const encrypter = new Encrypter();
  for (const recipient of new Set(recipients.map(parseAgeRecipient))) encrypter.addRecipient(recipient);
  return encrypter.encrypt(plaintext);
}

/** Decrypts a binary age file with one identity; errors are E_NOT_RECIPIENT (NotRecipientError) or E_DECRYPT. */
export async function decryptWithIdentity(
  ciphertext: Uint8Array,
  key: AgeDecryptionKey,
  options: DecryptOptions = {},
): Promise<Uint8Array> {
  const subject = options.subject ?? 'the age file';
  const decrypter = decrypterFor(key);
  try {
    return await decrypter.decrypt(ciphertext);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message === "no identity matched any of the file's recipients") {
      const recipient = typeof key === 'string' ? await identityToRecipient(key) : key.ageRecipient;
      const peerId = typeof key === 'string' ? undefined : key.peerId;
      throw new NotRecipientError(subject, countRecipientStanzas(ciphertext), recipient, peerId);
    }
    // No `cause`: typage's own message may quote the input, which may be plaintext.
    throw new EnvSyncError('E_DECRYPT', `cannot decrypt ${subject}: ${describeFailure(message)}`);
  }
}

// A Decrypter derives its identity's public key when made (one X25519 operation, about 1 ms): reuse one
// per identity object for repeated reads.
const decrypters = new WeakMap<object, Decrypter>();

function decrypterFor(key: AgeDecryptionKey): Decrypter {
  const cached = typeof key === 'string' ? undefined : decrypters.get(key);
  if (cached !== undefined) return cached;
  const secretKey = typeof key === 'string' ? key : key.ageSecretKey();
  checkAgeSecretKey(secretKey, 'the identity given to decrypt');
  const decrypter = new Decrypter();
  decrypter.addIdentity(secretKey);
  if (typeof key !== 'string') decrypters.set(key, decrypter);
  return decrypter;
}

/** One clause on what is wrong, from typage's message (which is trusted text, but may quote the input). */
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
