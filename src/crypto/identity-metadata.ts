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

/** A name is one line of printable text: it is shown to other peers. */
export function validateIdentityName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 128 || /[\x00-\x1f\x7f]/.test(trimmed)) {
    throw new EnvSyncError(
      'E_USAGE',
      'an identity name is 1 to 128 characters on one line, like alice@laptop',
    );
  }
  return trimmed;
}
