// Membership event kinds and the meaning of their subject fields (docs/membership.md#event-kinds).
// parseEventBody is the one place an event's untyped subject becomes a typed body; encodeEventBody inverts it.

import { PEER_NAME_PATTERN } from '../crypto/identity-metadata.ts';
import { EnvSyncError } from '../errors.ts';
import { idFromBytes, idToBytes, type ObjectId } from '../store/object-id.ts';
import type { EventField, EventObject } from '../store/objects.ts';

/** How far an event's time may lie in the future of "now", or before its parent's time. */
export const SKEW_SECONDS = 600;
export const NONCE_BYTES = 16;
/** Default and maximum life of a join request, counted from its signing time. */
export const REQUEST_TTL_SECONDS = 7 * 24 * 3600;
export const MAX_REQUEST_TTL_SECONDS = 30 * 24 * 3600;
/** Kinds with this prefix are applied as no-ops by peers that do not know them (docs/membership.md#rule-9). */
export const IGNORABLE_KIND_PREFIX = 'opt-';
/** How many commit heads a revocation may pin. */
export const MAX_PINNED_HEADS = 1024;

/** A reader fetches and decrypts only: it signs no event and authors no commit (docs/membership.md#readers). */
export type Role = 'admin' | 'member' | 'reader';
export const ROLES: readonly Role[] = ['admin', 'member', 'reader'];

export function isRole(value: unknown): value is Role {
  return ROLES.includes(value as Role);
}

/** A peer's public identity as members see it. */
export interface PeerCard {
  readonly key: Uint8Array;
  readonly name: string;
  readonly ageRecipient: string;
  readonly certificateFingerprint: string;
}

/** A join request: the requester's card, bound to one group, an expiry and a nonce, signed by its own key. */
export interface JoinRequest extends PeerCard {
  readonly group: ObjectId;
  readonly expires: number;
  readonly nonce: Uint8Array;
  readonly signature: Uint8Array;
}

export type EventBody =
  | {
      readonly kind: 'genesis';
      /** The security mode the group was founded in: the group id (this event's id) commits to it. */
      readonly mode: 'secure-peer';
      readonly name: string;
      readonly ageRecipient: string;
      readonly certificateFingerprint: string;
      readonly nonce: Uint8Array;
    }
  | { readonly kind: 'request'; readonly request: JoinRequest }
  | { readonly kind: 'approve'; readonly request: JoinRequest; readonly role: Role }
  | {
      readonly kind: 'revoke';
      readonly key: Uint8Array;
      readonly reason: string;
      /** Heads of the revoked peer's commits the revoker accepts: its history is pinned to their ancestors. */
      readonly heads: readonly ObjectId[];
    }
  | {
      readonly kind: 'rotate-key';
      readonly next: Omit<PeerCard, 'name'>;
      /**
       * Heads of the old key's commits the peer accepts as its own: like a revocation's, they pin what the
       * retired key may still be the author of (a key is rotated away because it may have leaked).
       */
      readonly heads: readonly ObjectId[];
      /** The new key's signature over the event's signing bytes with this field empty. */
      readonly keySignature: Uint8Array;
    }
  /** The signer's new name, shown to peers in place of the one it joined with. */
  | { readonly kind: 'rename'; readonly name: string }
  | { readonly kind: 'ignorable'; readonly name: string };

export type EventKind = EventBody['kind'];

function requestFields(r: JoinRequest): EventField[] {
  return [r.key, r.name, r.ageRecipient, r.certificateFingerprint, r.expires, r.nonce, r.signature];
}

export function encodeEventBody(body: EventBody): { kind: string; subject: EventField[] } {
  switch (body.kind) {
    case 'genesis':
      return {
        kind: body.kind,
        subject: [body.mode, body.name, body.ageRecipient, body.certificateFingerprint, body.nonce],
      };
    case 'request':
      return { kind: body.kind, subject: requestFields(body.request) };
    case 'approve':
      return { kind: body.kind, subject: [...requestFields(body.request), body.role] };
    case 'revoke':
      return { kind: body.kind, subject: [body.key, body.reason, packHeads(body.heads)] };
    case 'rotate-key': {
      const n = body.next;
      return {
        kind: body.kind,
        subject: [n.key, n.ageRecipient, n.certificateFingerprint, packHeads(body.heads), body.keySignature],
      };
    }
    case 'rename':
      return { kind: body.kind, subject: [body.name] };
    case 'ignorable':
      return { kind: body.name, subject: [] };
  }
}

const FINGERPRINT_PATTERN = /^[0-9a-f]{64}$/;
const AGE_PATTERN = /^age1[02-9ac-hj-np-z]{58}$/;

/** Typed view of an event's subject; a malformed subject is E_EVENT_INVALID naming `what`. */
export function parseEventBody(event: EventObject, what: string): EventBody {
  const f = event.subject;
  const bad = (detail: string): never => {
    throw new EnvSyncError('E_EVENT_INVALID', `${what}: ${detail}`);
  };
  const count = (n: number): void => {
    if (f.length !== n) bad(`a ${event.kind} event has ${n} subject fields, not ${f.length}`);
  };
  const bytes = (i: number, length: number, field: string): Uint8Array => {
    const v = f[i];
    return v instanceof Uint8Array && v.length === length ? v : bad(`${field} must be ${length} bytes`);
  };
  const text = (i: number, pattern: RegExp, field: string): string => {
    const v = f[i];
    return typeof v === 'string' && pattern.test(v) ? v : bad(`${field} is malformed`);
  };
  const uint = (i: number, field: string): number => {
    const v = f[i];
    return typeof v === 'number' ? v : bad(`${field} must be an unsigned integer`);
  };
  const request = (): JoinRequest => ({
    group: event.group ?? bad('a join request needs a group'),
    key: bytes(0, 32, 'key'),
    name: text(1, PEER_NAME_PATTERN, 'name'),
    ageRecipient: text(2, AGE_PATTERN, 'age recipient'),
    certificateFingerprint: text(3, FINGERPRINT_PATTERN, 'certificate fingerprint'),
    expires: uint(4, 'expiry'),
    nonce: bytes(5, NONCE_BYTES, 'nonce'),
    signature: bytes(6, 64, 'request signature'),
  });
  /** Commit ids packed as 32-byte strings, distinct, at most MAX_PINNED_HEADS. */
  const pinnedHeads = (i: number): ObjectId[] => {
    const packed = f[i];
    if (
      !(packed instanceof Uint8Array) ||
      packed.length % 32 !== 0 ||
      packed.length > MAX_PINNED_HEADS * 32
    ) {
      return bad(`pinned heads must be at most ${MAX_PINNED_HEADS} 32-byte commit ids`);
    }
    const heads: ObjectId[] = [];
    for (let at = 0; at < packed.length; at += 32)
      heads.push(idFromBytes(packed.subarray(at, at + 32), what));
    if (new Set(heads).size !== heads.length) return bad('pinned heads must be distinct');
    return heads;
  };
  switch (event.kind) {
    case 'genesis':
      count(5);
      if (f[0] !== 'secure-peer') return bad('a membership chain founds a secure-peer group only');
      return {
        kind: 'genesis',
        mode: 'secure-peer',
        name: text(1, PEER_NAME_PATTERN, 'name'),
        ageRecipient: text(2, AGE_PATTERN, 'age recipient'),
        certificateFingerprint: text(3, FINGERPRINT_PATTERN, 'certificate fingerprint'),
        nonce: bytes(4, NONCE_BYTES, 'nonce'),
      };
    case 'request':
      count(7);
      return { kind: 'request', request: request() };
    case 'approve': {
      count(8);
      const role = f[7];
      if (!isRole(role)) return bad(`role must be one of ${ROLES.join(', ')}`);
      return { kind: 'approve', request: request(), role };
    }
    case 'revoke': {
      count(3);
      const reason = f[1];
      if (typeof reason !== 'string' || Buffer.byteLength(reason) > 500) return bad('reason is malformed');
      return { kind: 'revoke', key: bytes(0, 32, 'key'), reason, heads: pinnedHeads(2) };
    }
    case 'rotate-key':
      count(5);
      return {
        kind: 'rotate-key',
        next: {
          key: bytes(0, 32, 'new key'),
          ageRecipient: text(1, AGE_PATTERN, 'age recipient'),
          certificateFingerprint: text(2, FINGERPRINT_PATTERN, 'certificate fingerprint'),
        },
        heads: pinnedHeads(3),
        keySignature: bytes(4, 64, 'new key signature'),
      };
    case 'rename':
      count(1);
      return { kind: 'rename', name: text(0, PEER_NAME_PATTERN, 'name') };
    default:
      if (event.kind.startsWith(IGNORABLE_KIND_PREFIX)) return { kind: 'ignorable', name: event.kind };
      return bad(`unknown event kind ${JSON.stringify(event.kind.slice(0, 64))}`);
  }
}

/** An event this peer holds: its id, the stored object and its parsed body. */
export interface HeldEvent {
  readonly id: ObjectId;
  readonly event: EventObject;
  readonly body: EventBody;
}

function packHeads(heads: readonly ObjectId[]): Uint8Array {
  return Buffer.concat(heads.map(idToBytes));
}
