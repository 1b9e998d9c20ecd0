// The CI credential (docs/identity.md#ci-credential): one line that lets a reader peer open snapshots where
// there is no identity directory, given in ENV_SYNC_IDENTITY. It holds the group, the reader's Ed25519
// public key (its peer id) and its age secret key: nothing that signs, so a leaked one can never write.

import { EnvSyncError } from '../errors.ts';
import type { AgeRecipient } from './age-recipient.ts';
import { type PeerId, peerIdFromPublicKey } from './peer-id.ts';

export const CI_CREDENTIAL_VARIABLE = 'ENV_SYNC_IDENTITY';
const PREFIX = 'env-sync-ci-1';
const HEX_64 = /^[0-9a-f]{64}$/;

/** A parsed credential. The age secret key is private: logging or JSON-serializing one prints no key. */
export class CiCredential {
  readonly group: string;
  readonly signingPublicKey: Uint8Array;
  readonly peerId: PeerId;
  readonly ageRecipient: AgeRecipient;
  readonly #ageSecretKey: string;

  constructor(group: string, signingPublicKey: Uint8Array, ageSecretKey: string, ageRecipient: AgeRecipient) {
    this.group = group;
    this.signingPublicKey = signingPublicKey;
    this.peerId = peerIdFromPublicKey(signingPublicKey);
    this.ageRecipient = ageRecipient;
    this.#ageSecretKey = ageSecretKey;
  }

  ageSecretKey(): string {
    return this.#ageSecretKey;
  }

  toJSON(): { group: string; peerId: string; ageRecipient: string } {
    return { group: this.group, peerId: this.peerId, ageRecipient: this.ageRecipient };
  }
}

/** `env-sync-ci-1:<group hex>:<Ed25519 public key hex>:AGE-SECRET-KEY-1…` */
export function encodeCiCredential(
  group: string,
  signingPublicKey: Uint8Array,
  ageSecretKey: string,
): string {
  return `${PREFIX}:${group}:${Buffer.from(signingPublicKey).toString('hex')}:${ageSecretKey}`;
}

/** Parses a credential; an error names the variable and what is wrong, never any part of its text. */
export async function parseCiCredential(text: string): Promise<CiCredential> {
  const fields = text.trim().split(':');
  const [prefix, group, key, secret] = fields;
  if (fields.length !== 4 || prefix !== PREFIX || !HEX_64.test(group!) || !HEX_64.test(key!)) {
    throw new EnvSyncError(
      'E_IDENTITY',
      `${CI_CREDENTIAL_VARIABLE} does not hold an env-sync CI credential (${PREFIX}:…); make one with 'env-sync identity export-ci'`,
    );
  }
  // Loaded here: X25519 code that a command run without a credential never needs.
  const { ageKeyPairFromSecretKey } = await import('./age-identity-file.ts');
  const pair = await ageKeyPairFromSecretKey(secret!, `the age key in ${CI_CREDENTIAL_VARIABLE}`);
  return new CiCredential(group!, Buffer.from(key!, 'hex'), pair.secretKey, pair.recipient);
}

/** Null until first asked; then the variable's text (undefined when unset or empty), taken out of the environment. */
let taken: { readonly text: string | undefined } | null = null;
let parsed: Promise<CiCredential | null> | null = null;

/**
 * The credential in ENV_SYNC_IDENTITY, or null. At the first call the variable is removed from process.env,
 * so no process this one starts (`run`'s command, ssh) inherits it.
 */
export function ciCredential(): Promise<CiCredential | null> {
  if (taken === null) {
    const text = process.env[CI_CREDENTIAL_VARIABLE];
    delete process.env[CI_CREDENTIAL_VARIABLE];
    taken = { text: text === '' ? undefined : text };
  }
  const { text } = taken;
  parsed ??= text === undefined ? Promise.resolve(null) : parseCiCredential(text);
  return parsed;
}

/** Whether this process reads as a CI credential: then it keeps nothing in an identity home. */
export function usingCiCredential(): boolean {
  if (taken === null) return (process.env[CI_CREDENTIAL_VARIABLE] ?? '') !== '';
  return taken.text !== undefined;
}
