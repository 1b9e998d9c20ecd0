// The records of `.env-sync/members-checkpoint` (docs/membership.md#checkpoint): checksummed JSON lines, the
// shape every record must have, and which page each key lives on. A cache file is never trusted blindly.

import { createHash } from 'node:crypto';
import { isObjectId, type ObjectId } from '../store/object-id.ts';
import type { PeerRecord } from './registry.ts';

export const TYPE = 'env-sync-members-checkpoint';
export const VERSION = 3;

/** A peer record as stored: key in hex, and its place in the order peers first appeared. */
export type StoredPeer = Omit<PeerRecord, 'key'> & { readonly key: string; readonly order: number };
export type StoredNonce = readonly [nonce: string, key: string, consumed: boolean];

// Records are built as literals, field by field: objects made by spreading others stringify (and parse into
// records) at half the speed, which the whole file of a 5,000-peer registry felt.

/** A record as stored, from a registry's record and its key in hex. */
export function storedPeer(record: Omit<PeerRecord, 'key'>, key: string, order: number): StoredPeer {
  return {
    peerId: record.peerId,
    key,
    name: record.name,
    ageRecipient: record.ageRecipient,
    certificateFingerprint: record.certificateFingerprint,
    expires: record.expires,
    reason: record.reason,
    role: record.role,
    state: record.state,
    since: { event: record.since.event, time: record.since.time },
    by: record.by,
    order,
  };
}

/** The registry's record of a stored one (shape checked by isPage). */
export function peerRecord(stored: StoredPeer): PeerRecord {
  return {
    peerId: stored.peerId as PeerRecord['peerId'],
    key: Uint8Array.from(Buffer.from(stored.key, 'hex')),
    name: stored.name,
    ageRecipient: stored.ageRecipient,
    certificateFingerprint: stored.certificateFingerprint,
    expires: stored.expires,
    reason: stored.reason,
    role: stored.role,
    state: stored.state,
    since: { event: stored.since.event, time: stored.since.time },
    by: stored.by,
  };
}

/** Every key, nonce, held event id and peer id whose bucket is `bucket`, as of the root that points here. */
export interface PageRecord {
  readonly bucket: number;
  readonly peers: readonly StoredPeer[];
  readonly nonces: readonly StoredNonce[];
  readonly held: readonly ObjectId[];
  /** [peer id, key]: finds a record by peer id. */
  readonly ids: readonly (readonly [peerId: string, key: string])[];
}

/** A page being built or updated. */
export interface PageDraft {
  readonly bucket: number;
  readonly peers: StoredPeer[];
  readonly nonces: StoredNonce[];
  readonly held: ObjectId[];
  readonly ids: (readonly [peerId: string, key: string])[];
}

export const emptyPage = (bucket: number): PageDraft => ({
  bucket,
  peers: [],
  nonces: [],
  held: [],
  ids: [],
});

/** Where a page is: byte offset of its line, its length, newline included, and its checksum. */
export type PageRef = readonly [offset: number, length: number, checksum: string];

/** The chain state a checkpoint describes; always the file's last line. */
export interface RootRecord {
  readonly type: typeof TYPE;
  readonly version: typeof VERSION;
  readonly group: ObjectId;
  readonly tip: ObjectId;
  readonly forks: readonly ObjectId[];
  /** The latest `time` of any held event: a clock set back before it makes the checkpoint unusable. */
  readonly latest: number;
  /** Approved admins and peers ever seen, at the tip. */
  readonly admins: number;
  readonly peers: number;
  /** Entries on all pages (peers, peer ids, nonces, held ids): when there are too many for the buckets. */
  readonly entries: number;
  /** One per bucket; their number is a power of two. */
  readonly pages: readonly PageRef[];
  /** Saves appended since the file was last written whole (when to compact). */
  readonly appends: number;
  /** This line's own offset in the file (last, so that it can be found in the file's last bytes). */
  readonly at: number;
}

const checksum = (json: Uint8Array): string => createHash('sha256').update(json).digest('hex').slice(0, 16);

const NEWLINE = Buffer.from('\n');

/**
 * One record per line: the first 16 hex digits of the SHA-256 of the JSON, a space, the JSON, a newline; as
 * the buffers to write one after the other (the JSON is encoded once and hashed as bytes).
 */
export function recordLine(record: RootRecord | PageRecord): {
  parts: Buffer[];
  checksum: string;
  length: number;
} {
  const json = Buffer.from(JSON.stringify(record));
  const sum = checksum(json);
  return {
    parts: [Buffer.from(`${sum} `, 'latin1'), json, NEWLINE],
    checksum: sum,
    length: json.length + 18,
  };
}

/** The record on `line` (newline included), or null when its checksum, its end or its JSON is off. */
export function parseLine(line: Uint8Array, expected?: string): unknown {
  const text = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  if (text.length < 18 || text[16] !== 0x20 || text.at(-1) !== 0x0a) return null;
  const sum = text.toString('latin1', 0, 16);
  const json = text.subarray(17, text.length - 1);
  if (checksum(json) !== sum || (expected !== undefined && sum !== expected)) return null;
  try {
    return JSON.parse(json.toString('utf8'));
  } catch {
    return null;
  }
}

/**
 * FNV-1a over the key's first 8 characters: every key is a hash or a random value (public keys, nonces, event
 * ids, peer ids), so those already spread evenly over the buckets; the rest would only cost time.
 */
export function bucketOf(key: string, buckets: number): number {
  let h = 0x811c9dc5;
  const end = Math.min(key.length, 8);
  for (let i = 0; i < end; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) & (buckets - 1);
}

/** Buckets for `entries` records: about 64 on a page, a power of two. */
export function bucketsFor(entries: number): number {
  let buckets = 1;
  while (buckets * 64 < entries) buckets *= 2;
  return buckets;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const isText = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isIds = (v: unknown): v is ObjectId[] =>
  Array.isArray(v) && v.every((id) => typeof id === 'string' && isObjectId(id));

function isPeer(v: unknown): v is StoredPeer {
  const p = v as Partial<Record<keyof StoredPeer, unknown>> | null;
  if (typeof p !== 'object' || p === null) return false;
  const since = p.since as { event?: unknown; time?: unknown } | undefined;
  return (
    isText(p.peerId) &&
    isText(p.key) &&
    HEX64.test(p.key) &&
    isCount(p.order) &&
    isText(p.name) &&
    isText(p.ageRecipient) &&
    isText(p.certificateFingerprint) &&
    (p.role === null || p.role === 'admin' || p.role === 'member') &&
    (p.state === 'pending' || p.state === 'approved' || p.state === 'revoked') &&
    typeof since === 'object' &&
    since !== null &&
    isText(since.event) &&
    isObjectId(since.event) &&
    Number.isSafeInteger(since.time) &&
    isText(p.by) &&
    (p.expires === null || Number.isSafeInteger(p.expires)) &&
    (p.reason === null || isText(p.reason))
  );
}

const isNonce = (n: unknown): n is StoredNonce =>
  Array.isArray(n) &&
  n.length === 3 &&
  isText(n[0]) &&
  HEX32.test(n[0]) &&
  isText(n[1]) &&
  HEX64.test(n[1]) &&
  typeof n[2] === 'boolean';

/** True when `v` is a page for `bucket` of `buckets`: every field has its shape and every key its bucket. */
export function isPage(v: unknown, bucket: number, buckets: number): v is PageRecord {
  const p = v as Partial<Record<keyof PageRecord, unknown>> | null;
  if (typeof p !== 'object' || p === null || p.bucket !== bucket) return false;
  const here = (key: string): boolean => bucketOf(key, buckets) === bucket;
  return (
    Array.isArray(p.peers) &&
    p.peers.every((peer) => isPeer(peer) && here(peer.key)) &&
    Array.isArray(p.nonces) &&
    p.nonces.every((nonce) => isNonce(nonce) && here(nonce[0])) &&
    isIds(p.held) &&
    p.held.every(here) &&
    Array.isArray(p.ids) &&
    p.ids.every(
      (pair: unknown) =>
        Array.isArray(pair) &&
        pair.length === 2 &&
        isText(pair[0]) &&
        here(pair[0]) &&
        isText(pair[1]) &&
        HEX64.test(pair[1]),
    )
  );
}

/** True when `v` is a root of `group` written at `at`, with a page for each of a power-of-two of buckets. */
export function isRoot(v: unknown, group: ObjectId, at: number): v is RootRecord {
  const r = v as Partial<Record<keyof RootRecord, unknown>> | null;
  if (typeof r !== 'object' || r === null) return false;
  const pages = r.pages;
  return (
    r.type === TYPE &&
    r.version === VERSION &&
    r.group === group &&
    r.at === at &&
    isText(r.tip) &&
    isObjectId(r.tip) &&
    isIds(r.forks) &&
    Number.isSafeInteger(r.latest) &&
    isCount(r.admins) &&
    isCount(r.peers) &&
    isCount(r.entries) &&
    isCount(r.appends) &&
    Array.isArray(pages) &&
    pages.length > 0 &&
    (pages.length & (pages.length - 1)) === 0 &&
    pages.every(
      (ref: unknown) =>
        Array.isArray(ref) &&
        ref.length === 3 &&
        isCount(ref[0]) &&
        isCount(ref[1]) &&
        ref[0] + ref[1] <= at &&
        isText(ref[2]) &&
        HEX16.test(ref[2]),
    )
  );
}
