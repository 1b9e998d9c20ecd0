// identity.json: the identity's name and creation time, and its public keys so a damaged or swapped key
// file is noticed. Written last when an identity is created: its presence means the identity is complete.

import { EnvSyncError } from '../errors.ts';

export interface IdentityMetadata {
  version: 1;
  name: string;
  createdAt: string;
  peerId: string;
  /** 64 lowercase hex characters. */
  signingPublicKey: string;
  ageRecipient: string;
  certificateFingerprint: string;
}

const STRING_FIELDS = [
  'name',
  'createdAt',
  'peerId',
  'signingPublicKey',
  'ageRecipient',
  'certificateFingerprint',
] as const;

export function encodeIdentityMetadata(metadata: IdentityMetadata): string {
  const ordered: IdentityMetadata = {
    version: metadata.version,
    name: metadata.name,
    createdAt: metadata.createdAt,
    peerId: metadata.peerId,
    signingPublicKey: metadata.signingPublicKey,
    ageRecipient: metadata.ageRecipient,
    certificateFingerprint: metadata.certificateFingerprint,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

export function decodeIdentityMetadata(text: string, path: string): IdentityMetadata {
  const damaged = (what: string) =>
    new EnvSyncError('E_IDENTITY', `'${path}' is damaged (${what}); restore it from a backup`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw damaged('not valid JSON');
  }
  if (typeof value !== 'object' || value === null) throw damaged('not a JSON object');
  const record = value as Record<string, unknown>;
  if (record.version !== 1) {
    throw new EnvSyncError(
      'E_IDENTITY',
      `'${path}' has version ${String(record.version)}; this env-sync reads 1`,
    );
  }
  for (const field of STRING_FIELDS) {
    if (typeof record[field] !== 'string') throw damaged(`"${field}" is missing or not a string`);
  }
  return record as unknown as IdentityMetadata;
}

/**
 * A peer's name: 1 to 128 characters of one line, shown to other peers beside its id. No control characters
 * (C0, DEL, C1), no bidirectional overrides or isolates, no zero-width or line-separator characters: each of
 * those can make a name display as another one (docs/identity.md#names).
 */
export const PEER_NAME_PATTERN =
  /^(?![\s])(?:(?![\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff])[\s\S]){1,128}(?<![\s])$/u;

/** A name given by the user, trimmed and checked against PEER_NAME_PATTERN. */
export function validateIdentityName(name: string): string {
  const trimmed = name.trim();
  if (!PEER_NAME_PATTERN.test(trimmed)) {
    throw new EnvSyncError(
      'E_USAGE',
      'an identity name is 1 to 128 printable characters on one line, like alice@laptop (no control, bidi or zero-width characters)',
    );
  }
  return trimmed;
}
