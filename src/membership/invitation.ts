// Invitations (docs/protocol.md#joining-with-an-invitation): the one-line token an admin hands a new peer, and
// the record the inviter keeps of it (only a hash of its secret, signed by the inviter: the record sits in
// `.env-sync/`, which is not trusted to decide who joins). Pure: parsing, checking, no I/O.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parsePeerId } from '../crypto/peer-id.ts';
import { EnvSyncError } from '../errors.ts';
import { isObjectId, type ObjectId } from '../store/object-id.ts';
import type { Role } from './event-format.ts';
import { type EventSigner, verifyEd25519 } from './signing.ts';

export const TOKEN_PREFIX = 'env-sync-invite-1.';
const SECRET_BYTES = 32;
const MAX_ADDRESSES = 16;

/** What a token carries: where to dial, whom to pin, and the single-use secret. */
export interface InvitationToken {
  readonly group: ObjectId;
  readonly inviter: string;
  readonly fingerprint: string;
  /** `host:port` (IPv6 as `[addr]:port`). */
  readonly addresses: readonly string[];
  /** 64 lowercase hex: secret. */
  readonly secret: string;
  /** Seconds since the epoch. */
  readonly expires: number;
}

/** What the inviter keeps: never the secret, only its SHA-256. */
export interface InvitationRecord {
  /** The first 12 hex of the secret's hash: how `peer invite --list` and `--cancel` name it. */
  readonly id: string;
  readonly secretHash: string;
  readonly created: number;
  readonly expires: number;
  readonly role: Role;
  readonly approve: boolean;
  readonly state: 'open' | 'spent' | 'cancelled';
  /** Who spent it. */
  readonly peerId: string | null;
  /** The inviter's Ed25519 signature (hex) over recordSigningBytes: what a planted record lacks. */
  readonly signature: string;
}

export function newInvitation(
  fields: Omit<InvitationToken, 'secret'>,
  options: {
    readonly now: number;
    readonly role: Role;
    readonly approve: boolean;
    readonly signer: EventSigner;
  },
): { token: InvitationToken; record: InvitationRecord } {
  const secret = randomBytes(SECRET_BYTES).toString('hex');
  const secretHash = hashSecret(secret);
  const terms = { secretHash, expires: fields.expires, role: options.role, approve: options.approve };
  const signature = options.signer.sign(recordSigningBytes(fields.group, terms));
  const record: InvitationRecord = {
    id: secretHash.slice(0, 12),
    ...terms,
    created: options.now,
    state: 'open',
    peerId: null,
    signature: Buffer.from(signature).toString('hex'),
  };
  return { token: { ...fields, secret }, record };
}

/** What the inviter signs: the group and the terms a join with the secret gets. */
function recordSigningBytes(
  group: string,
  terms: Pick<InvitationRecord, 'secretHash' | 'expires' | 'role' | 'approve'>,
): Uint8Array {
  const { secretHash, expires, role, approve } = terms;
  return Buffer.from(`env-sync-invitation-1\n${group}\n${secretHash}\n${expires}\n${role}\n${approve}`);
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(Buffer.from(secret, 'hex')).digest('hex');
}

export function encodeToken(token: InvitationToken): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function isToken(text: string): boolean {
  return text.startsWith(TOKEN_PREFIX);
}

/** Parses a token strictly; a message never repeats the token (it holds the secret). */
export function parseToken(text: string): InvitationToken {
  const bad = (detail: string): never => {
    throw new EnvSyncError('E_USAGE', `not a valid invitation token (${detail})`);
  };
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(text.trim().slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return bad('it does not decode');
  }
  if (!isToken(text.trim()) || json === null || typeof json !== 'object') return bad('wrong prefix');
  const { group, inviter, fingerprint, addresses, secret, expires } = json;
  if (typeof group !== 'string' || !isObjectId(group)) bad('group');
  if (typeof fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(fingerprint)) bad('fingerprint');
  if (typeof secret !== 'string' || !/^[0-9a-f]{64}$/.test(secret)) bad('secret');
  if (typeof expires !== 'number' || !Number.isSafeInteger(expires)) bad('expiry');
  if (
    !Array.isArray(addresses) ||
    addresses.length === 0 ||
    addresses.length > MAX_ADDRESSES ||
    !addresses.every((address) => typeof address === 'string' && isAddress(address))
  ) {
    bad('addresses');
  }
  let peerId = '';
  try {
    peerId = parsePeerId(String(inviter));
  } catch {
    bad('inviter');
  }
  return {
    group: group as ObjectId,
    inviter: peerId,
    fingerprint: fingerprint as string,
    addresses: addresses as string[],
    secret: secret as string,
    expires: expires as number,
  };
}

/** `host:port` or `[v6]:port`. */
export function isAddress(text: string): boolean {
  const match = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  return match !== null && Number(match[1]) > 0 && Number(match[1]) <= 65535;
}

/**
 * The invitation whose secret is `secret`, or the one-line reason it cannot be used: unknown (forged, or made
 * by another peer), spent, cancelled or expired. A spent one is returned only to `joiner`, the peer that spent
 * it, until it expires: that peer repeats its join (a clone that failed after the join is run again).
 */
export function findUsableInvitation(
  records: readonly InvitationRecord[],
  secret: string,
  now: number,
  inviter: { readonly group: string; readonly key: Uint8Array },
  joiner?: string,
): InvitationRecord {
  const hash = /^[0-9a-f]{64}$/.test(secret) ? hashSecret(secret) : '';
  const record = records.find(
    (r) => hash !== '' && timingSafeEqual(Buffer.from(r.secretHash, 'hex'), Buffer.from(hash, 'hex')),
  );
  if (record === undefined || !signedBy(record, inviter)) {
    throw new EnvSyncError(
      'E_EVENT_REPLAY',
      'this invitation is unknown here (forged, or made by another peer)',
    );
  }
  if (record.state === 'spent' && (joiner === undefined || record.peerId !== joiner)) {
    throw new EnvSyncError('E_EVENT_REPLAY', 'this invitation was used already');
  }
  if (record.state === 'cancelled') throw new EnvSyncError('E_EVENT_REPLAY', 'this invitation was cancelled');
  if (record.expires < now) throw new EnvSyncError('E_EVENT_REPLAY', 'this invitation has expired');
  return record;
}

function signedBy(record: InvitationRecord, inviter: { group: string; key: Uint8Array }): boolean {
  const signature = /^[0-9a-f]{128}$/.test(record.signature ?? '')
    ? Buffer.from(record.signature, 'hex')
    : null;
  return (
    signature !== null && verifyEd25519(inviter.key, recordSigningBytes(inviter.group, record), signature)
  );
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `30m`, `24h`, `7d` in seconds. */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  const seconds = match === null ? 0 : Number(match[1]) * UNITS[match[2]!]!;
  if (seconds <= 0) throw new EnvSyncError('E_USAGE', `${what} takes a duration such as 90s, 30m, 24h or 7d`);
  return seconds;
}
