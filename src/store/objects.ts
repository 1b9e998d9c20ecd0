// The object model: snapshot, commit and event, each a msgpack array `[type, version, ...fields]`.
// encodeObject/decodeObject are the only way bytes become typed objects; docs/object-format.md is the spec.

import { EnvSyncError } from '../errors.ts';
import { type Canonical, decodeCanonical, encodeCanonical, MAX_UINT } from './encoding.ts';
import {
  MAX_EVENT_SUBJECT_FIELDS,
  MAX_KEY_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_OBJECT_BYTES,
  MAX_PARENTS,
  MAX_SNAPSHOT_ENTRIES,
} from './limits.ts';
import { idFromBytes, idToBytes, type ObjectId } from './object-id.ts';

export type ObjectType = 'snapshot' | 'commit' | 'event';
export const OBJECT_TYPES: readonly ObjectType[] = ['snapshot', 'commit', 'event'];

/** Key names follow dotenv's rules; they are ASCII, so JS string order equals byte order. */
export const KEY_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export interface PlainSnapshot {
  readonly type: 'snapshot';
  readonly encoding: 'plain';
  /** Key → value, iterated in ascending key order. */
  readonly entries: ReadonlyMap<string, string>;
}

/**
 * A snapshot whose key → value map is one standard age file. Key names stay readable for status and diff;
 * the recipients (age public keys, sorted) say who can read it, so re-encryption and revocation can reason
 * about readers without decrypting.
 */
export interface AgeSnapshot {
  readonly type: 'snapshot';
  readonly encoding: 'age';
  readonly keys: readonly string[];
  readonly recipients: readonly string[];
  readonly payload: Uint8Array;
}

export type SnapshotObject = PlainSnapshot | AgeSnapshot;

export interface CommitObject {
  readonly type: 'commit';
  readonly snapshot: ObjectId;
  readonly parents: readonly ObjectId[];
  /** Peer id of the author. */
  readonly author: string;
  /** Seconds since the Unix epoch. */
  readonly time: number;
  readonly message: string;
  /** Tip of the membership chain the author saw when committing, if the repository has one. */
  readonly members: ObjectId | null;
  /**
   * In secure-peer, the author's Ed25519 signature over commitSigningBytes (64 bytes); empty in the other
   * modes, where the commit is not signed (docs/object-format.md#commit).
   */
  readonly signature: Uint8Array;
}

/** A value inside an event's subject: the membership module gives the fields their meaning. */
export type EventField = null | boolean | number | string | Uint8Array;

export interface EventObject {
  readonly type: 'event';
  /** Id of the genesis event; null in the genesis event itself. */
  readonly group: ObjectId | null;
  readonly seq: number;
  readonly prev: ObjectId | null;
  readonly time: number;
  /** Ed25519 public key of the signer (32 bytes). */
  readonly actor: Uint8Array;
  readonly kind: string;
  readonly subject: readonly EventField[];
  /** Ed25519 signature (64 bytes) over the event encoded with an empty signature. */
  readonly signature: Uint8Array;
}

export type StoredObject = SnapshotObject | CommitObject | EventObject;

export function plainSnapshot(entries: Iterable<readonly [string, string]>): PlainSnapshot {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { type: 'snapshot', encoding: 'plain', entries: new Map(sorted) };
}

export function encodeObject(object: StoredObject): Uint8Array {
  validateObject(object, 'object');
  const bytes = encodeCanonical(toArray(object));
  if (bytes.length > MAX_OBJECT_BYTES) {
    throw new EnvSyncError(
      'E_OBJECT_TOO_LARGE',
      `object of ${bytes.length} bytes exceeds ${MAX_OBJECT_BYTES}`,
    );
  }
  return bytes;
}

/** Parses untrusted bytes. `what` names the object in errors (usually its id). */
export function decodeObject(bytes: Uint8Array, what: string): StoredObject {
  if (bytes.length > MAX_OBJECT_BYTES) {
    throw new EnvSyncError(
      'E_OBJECT_TOO_LARGE',
      `${what}: ${bytes.length} bytes exceeds ${MAX_OBJECT_BYTES}`,
    );
  }
  const value = decodeCanonical(bytes, what);
  const object = fromArray(value, what);
  validateObject(object, what);
  return object;
}

function toArray(object: StoredObject): Canonical {
  switch (object.type) {
    case 'snapshot':
      return object.encoding === 'plain'
        ? ['snapshot', 1, 'plain', [...object.entries].map(([k, v]) => [k, v])]
        : ['snapshot', 1, 'age', [...object.keys], [...object.recipients], object.payload];
    case 'commit':
      return [
        'commit',
        1,
        idToBytes(object.snapshot),
        object.parents.map(idToBytes),
        object.author,
        object.time,
        object.message,
        object.members === null ? null : idToBytes(object.members),
        object.signature,
      ];
    case 'event':
      return [
        'event',
        1,
        object.group === null ? null : idToBytes(object.group),
        object.seq,
        object.prev === null ? null : idToBytes(object.prev),
        object.time,
        object.actor,
        object.kind,
        [...object.subject],
        object.signature,
      ];
  }
}

function fromArray(value: Canonical, what: string): StoredObject {
  const bad = (detail: string): never => {
    throw new EnvSyncError('E_OBJECT_CORRUPT', `${what}: ${detail}`);
  };
  if (!Array.isArray(value) || value.length < 2) return bad('not an object array');
  const [type, version] = value;
  if (typeof type !== 'string' || !OBJECT_TYPES.includes(type as ObjectType))
    return bad('unknown object type');
  if (version !== 1) return bad(`unsupported ${type} version`);
  const f = value.slice(2);
  const str = (v: Canonical | undefined, field: string): string =>
    typeof v === 'string' ? v : bad(`${field} must be a string`);
  const uint = (v: Canonical | undefined, field: string): number =>
    typeof v === 'number' ? v : bad(`${field} must be an unsigned integer`);
  const bin = (v: Canonical | undefined, field: string): Uint8Array =>
    v instanceof Uint8Array ? v : bad(`${field} must be bytes`);
  const id = (v: Canonical | undefined, field: string): ObjectId =>
    idFromBytes(bin(v, field), `${what}: ${field}`);
  const optionalId = (v: Canonical | undefined, field: string): ObjectId | null =>
    v === null ? null : id(v, field);
  const list = (v: Canonical | undefined, field: string): readonly Canonical[] =>
    Array.isArray(v) ? v : bad(`${field} must be an array`);

  if (type === 'snapshot') {
    const encoding = f[0];
    if (encoding === 'plain' && f.length === 2) {
      const entries = list(f[1], 'entries').map((pair) => {
        const p = list(pair, 'entry');
        if (p.length !== 2) bad('entry must be a [key, value] pair');
        return [str(p[0], 'key'), str(p[1], 'value')] as const;
      });
      const map = new Map(entries);
      // A Map would silently keep the last of two equal keys; validateObject only sees what is left.
      if (map.size !== entries.length) bad('keys must be unique and in ascending order');
      return { type, encoding, entries: map };
    }
    if (encoding === 'age' && f.length === 4) {
      return {
        type,
        encoding,
        keys: list(f[1], 'keys').map((k) => str(k, 'key')),
        recipients: list(f[2], 'recipients').map((r) => str(r, 'recipient')),
        payload: bin(f[3], 'payload'),
      };
    }
    return bad('unknown snapshot encoding or wrong field count');
  }
  if (type === 'commit') {
    if (f.length !== 7) bad('commit must have 7 fields');
    return {
      type,
      snapshot: id(f[0], 'snapshot'),
      parents: list(f[1], 'parents').map((p) => id(p, 'parent')),
      author: str(f[2], 'author'),
      time: uint(f[3], 'time'),
      message: str(f[4], 'message'),
      members: optionalId(f[5], 'members'),
      signature: bin(f[6], 'signature'),
    };
  }
  if (f.length !== 8) bad('event must have 8 fields');
  const subject = list(f[6], 'subject').map((v) =>
    Array.isArray(v) ? bad('subject fields must be scalars') : v,
  );
  return {
    type: 'event',
    group: optionalId(f[0], 'group'),
    seq: uint(f[1], 'seq'),
    prev: optionalId(f[2], 'prev'),
    time: uint(f[3], 'time'),
    actor: bin(f[4], 'actor'),
    kind: str(f[5], 'kind'),
    subject: subject as EventField[],
    signature: bin(f[7], 'signature'),
  };
}

/** Rules beyond shape: sizes, key names, order. Applied on encode and on decode alike. */
function validateObject(object: StoredObject, what: string): void {
  const bad = (detail: string): never => {
    throw new EnvSyncError('E_OBJECT_CORRUPT', `${what}: ${detail}`);
  };
  if (object.type === 'snapshot') {
    const keys = object.encoding === 'plain' ? [...object.entries.keys()] : object.keys;
    if (keys.length > MAX_SNAPSHOT_ENTRIES) bad(`more than ${MAX_SNAPSHOT_ENTRIES} keys`);
    let previous: string | undefined;
    for (const [index, key] of keys.entries()) {
      // The name itself is not echoed: a malformed name may be a pasted KEY=value.
      if (key.length > MAX_KEY_BYTES)
        bad(`key #${index + 1} is longer than the limit of ${MAX_KEY_BYTES} characters`);
      if (!KEY_NAME_PATTERN.test(key)) bad(`key #${index + 1} has an invalid name`);
      if (previous !== undefined && !(previous < key)) bad('keys must be unique and in ascending order');
      previous = key;
    }
    if (object.encoding === 'age') {
      if (object.recipients.length === 0 || object.recipients.length > 1000)
        bad('age snapshot needs 1 to 1000 recipients');
      const sorted = [...object.recipients].sort();
      if (object.recipients.some((r, i) => r !== sorted[i] || !/^age1[02-9ac-hj-np-z]{58}$/.test(r))) {
        bad('recipients must be sorted, unique age1… public keys');
      }
      if (new Set(sorted).size !== sorted.length) bad('recipients must be unique');
    }
    return;
  }
  if (object.type === 'commit') {
    if (object.parents.length > MAX_PARENTS) bad(`more than ${MAX_PARENTS} parents`);
    if (new Set(object.parents).size !== object.parents.length) bad('duplicate parent');
    if (Buffer.byteLength(object.message) > MAX_MESSAGE_BYTES) bad('message too long');
    if (object.author.length === 0 || object.author.length > 128) bad('author must be a peer id');
    if (!Number.isInteger(object.time) || object.time < 0 || object.time > MAX_UINT)
      bad('time must be an unsigned 32-bit integer');
    if (object.signature.length !== 64 && object.signature.length !== 0) bad('signature must be 64 bytes');
    return;
  }
  if (object.actor.length !== 32) bad('actor must be a 32-byte public key');
  if (object.signature.length !== 64 && object.signature.length !== 0) bad('signature must be 64 bytes');
  if (object.subject.length > MAX_EVENT_SUBJECT_FIELDS) bad('subject has too many fields');
  if (object.kind.length === 0 || object.kind.length > 64) bad('kind must be a short name');
  if ((object.group === null) !== (object.seq === 0)) bad('only the genesis event (seq 0) has no group');
  if ((object.prev === null) !== (object.seq === 0)) bad('only the genesis event (seq 0) has no parent');
}
