// The peer registry: who is pending, approved or revoked, with role and since-when. Always derived by applying
// a chain's events in order (never stored as truth); `apply` trusts that rules.ts accepted the event.

import { type PeerId, peerIdFromPublicKey } from '../crypto/peer-id.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import type { EventBody, HeldEvent, Role } from './event-format.ts';

export type PeerState = 'pending' | 'approved' | 'revoked';

export interface PeerRecord {
  readonly peerId: PeerId;
  readonly key: Uint8Array;
  readonly name: string;
  readonly ageRecipient: string;
  readonly certificateFingerprint: string;
  /** Null while pending. */
  readonly role: Role | null;
  readonly state: PeerState;
  /** The event that put the peer in its current state, and that event's time. */
  readonly since: { readonly event: ObjectId; readonly time: number };
  /** Who signed that event. */
  readonly by: PeerId;
  /** Pending requests only: when the request lapses (seconds since the epoch). */
  readonly expires: number | null;
  /** Revoked peers only. */
  readonly reason: string | null;
}

/** How a rotated-away record's reason begins; the new peer id follows. */
export const ROTATED_TO = 'key rotated to ';

/** A registry as plain JSON data: keys and nonces as lowercase hex. */
export interface RegistrySnapshot {
  readonly peers: readonly (Omit<PeerRecord, 'key'> & { readonly key: string })[];
  /** [nonce, key it serves, consumed by an approval or genesis]. */
  readonly nonces: readonly (readonly [nonce: string, key: string, consumed: boolean])[];
}

// A copy, not a view: a decoded key or nonce lives on the JS heap, and reading its `.buffer` would move it to a
// new off-heap allocation (≈ 3 times the cost of the copy, and garbage collection afterwards).
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * An event's signer, the key its body names (a request's, an approval's, a revocation's, a rotation's new
 * key) and its nonce, in hex: converted once, for the rules and then for apply (the conversion is a good
 * part of their cost).
 */
export interface EventKeys {
  readonly actor: string;
  readonly subject: string | null;
  readonly nonce: string | null;
}

export function eventKeys(event: EventObject, body: EventBody): EventKeys {
  const actor = hex(event.actor);
  switch (body.kind) {
    case 'genesis':
      return { actor, subject: null, nonce: hex(body.nonce) };
    case 'request':
    case 'approve':
      return { actor, subject: hex(body.request.key), nonce: hex(body.request.nonce) };
    case 'revoke':
      return { actor, subject: hex(body.key), nonce: null };
    case 'rotate-key':
      return { actor, subject: hex(body.next.key), nonce: null };
    case 'rename':
    case 'ignorable':
      return { actor, subject: null, nonce: null };
  }
}

// A chain has few signers and many events: derive each signer's peer id (a hash) once.
const peerIds = new Map<string, PeerId>();
export function peerIdOf(key: Uint8Array, k = hex(key)): PeerId {
  let id = peerIds.get(k);
  if (id === undefined) {
    if (peerIds.size > 65536) peerIds.clear();
    id = peerIdFromPublicKey(key);
    peerIds.set(k, id);
  }
  return id;
}

export class Registry {
  /** By hex public key; insertion order is the order peers first appeared. */
  readonly #peers: Map<string, PeerRecord>;
  /** Nonce (hex) → key (hex) of every join request or approval seen: each nonce serves one key, once. */
  readonly #nonces: Map<string, string>;
  readonly #consumed: Set<string>;
  /** Kept up to date by #put: the last-admin rule asks for it on every revoke. */
  #admins: number;

  /** Empty, or a copy of another registry. */
  constructor(from?: Registry) {
    this.#peers = new Map(from === undefined ? [] : from.#peers);
    this.#nonces = new Map(from === undefined ? [] : from.#nonces);
    this.#consumed = new Set(from === undefined ? [] : from.#consumed);
    this.#admins = from === undefined ? 0 : from.#admins;
  }

  /** A registry from snapshot() data (the verified cache in the identity home). */
  static fromSnapshot(snapshot: RegistrySnapshot): Registry {
    const registry = new Registry();
    for (const peer of snapshot.peers) {
      registry.#put({ ...peer, key: Buffer.from(peer.key, 'hex') }, peer.key);
    }
    for (const [nonce, key, consumed] of snapshot.nonces) registry.#setNonce(nonce, key, consumed);
    return registry;
  }

  #peer(key: string): PeerRecord | undefined {
    return this.#peers.get(key);
  }

  /** `key` is hex(record.key), when the caller has it already. */
  #put(record: PeerRecord, key = hex(record.key)): void {
    const isAdmin = (r: PeerRecord | undefined) => (r?.state === 'approved' && r.role === 'admin' ? 1 : 0);
    this.#admins += isAdmin(record) - isAdmin(this.#peer(key));
    this.#peers.set(key, record);
  }

  #setNonce(nonce: string, key: string, consumed: boolean): void {
    this.#nonces.set(nonce, key);
    if (consumed) this.#consumed.add(nonce);
  }

  clone(): Registry {
    return new Registry(this);
  }

  /** Plain JSON data: every record, and every nonce with its key. */
  snapshot(): RegistrySnapshot {
    return {
      peers: this.peers().map((record) => ({ ...record, key: hex(record.key) })),
      nonces: [...this.#nonces].map(([nonce, key]) => [nonce, key, this.#consumed.has(nonce)]),
    };
  }

  byKey(key: Uint8Array): PeerRecord | undefined {
    return this.#peer(hex(key));
  }

  /** byKey for a key in hex (eventKeys). */
  byHexKey(key: string): PeerRecord | undefined {
    return this.#peer(key);
  }

  byPeerId(peerId: string): PeerRecord | undefined {
    for (const record of this.#peers.values()) if (record.peerId === peerId) return record;
    return undefined;
  }

  /** Every record, in the order peers first appeared. */
  peers(): PeerRecord[] {
    return [...this.#peers.values()];
  }

  approved(): PeerRecord[] {
    return this.peers().filter((record) => record.state === 'approved');
  }

  approvedAdmins(): number {
    return this.#admins;
  }

  /** 'fresh', 'pending' (a request for `key` holds it), or 'used'; nonce and key in hex. */
  nonceUse(nonce: string, key: string): 'fresh' | 'pending' | 'used' {
    const owner = this.#nonces.get(nonce);
    if (owner === undefined) return 'fresh';
    return owner === key && !this.#consumed.has(nonce) ? 'pending' : 'used';
  }

  /** `keys`: eventKeys of the event, when the caller has them already (the rules did). */
  apply(held: HeldEvent, keys: EventKeys = eventKeys(held.event, held.body)): void {
    const { id, event, body } = held;
    const actor = keys.actor;
    const by = peerIdOf(event.actor, actor);
    const since = { event: id, time: event.time };
    switch (body.kind) {
      case 'genesis': {
        const card = { ...body, key: event.actor };
        this.#put(record(card, { role: 'admin', state: 'approved', since, by }, actor), actor);
        this.#setNonce(keys.nonce!, actor, true);
        return;
      }
      case 'request': {
        const r = body.request;
        const key = keys.subject!;
        this.#put(
          { ...record(r, { role: null, state: 'pending', since, by }, key), expires: r.expires },
          key,
        );
        this.#setNonce(keys.nonce!, key, false);
        return;
      }
      case 'approve': {
        const r = body.request;
        const key = keys.subject!;
        this.#put(record(r, { role: body.role, state: 'approved', since, by }, key), key);
        this.#setNonce(keys.nonce!, key, true);
        return;
      }
      case 'revoke': {
        const key = keys.subject!;
        const old = this.#peer(key)!;
        this.#put({ ...old, state: 'revoked', since, by, expires: null, reason: body.reason }, key);
        return;
      }
      case 'rotate-key': {
        const old = this.byKey(event.actor)!;
        const next = { ...body.next, name: old.name };
        this.#put({
          ...old,
          state: 'revoked',
          since,
          by,
          reason: `${ROTATED_TO}${peerIdOf(next.key)}`,
        });
        this.#put(record(next, { role: old.role, state: 'approved', since, by }));
        return;
      }
      case 'rename':
        this.#put({ ...this.#peer(actor)!, name: body.name }, actor);
        return;
      case 'ignorable':
        return;
    }
  }

  /** Marks `key` (hex) revoked by `by`, a revocation the fork rule applied without following it. */
  revokeKey(key: string, by: HeldEvent): void {
    const old = this.#peer(key);
    if (old === undefined || old.state === 'revoked') return;
    const since = { event: by.id, time: by.event.time };
    const reason = by.body.kind === 'revoke' ? by.body.reason : 'key rotated';
    this.#put({ ...old, state: 'revoked', since, by: peerIdOf(by.event.actor), expires: null, reason }, key);
  }
}

function record(
  card: { key: Uint8Array; name: string; ageRecipient: string; certificateFingerprint: string },
  fields: Pick<PeerRecord, 'role' | 'state' | 'since' | 'by'>,
  key = hex(card.key),
): PeerRecord {
  return {
    peerId: peerIdOf(card.key, key),
    key: card.key,
    name: card.name,
    ageRecipient: card.ageRecipient,
    certificateFingerprint: card.certificateFingerprint,
    expires: null,
    reason: null,
    ...fields,
  };
}

/** The state a person sees: a pending request past its expiry shows as 'expired' and can no longer be approved. */
export function displayState(record: PeerRecord, now: number): PeerState | 'expired' {
  return record.state === 'pending' && record.expires !== null && record.expires < now
    ? 'expired'
    : record.state;
}
