// The JSON form of objects (cat-file --json, hash-object --json): a lossless, human-readable mirror of the
// msgpack form. Snapshot values are masked unless asked for; a masked document cannot be hashed back.

import { EnvSyncError } from '../errors.ts';
import { MAX_UINT } from './encoding.ts';
import { type ObjectId, parseObjectId } from './object-id.ts';
import { type EventField, plainSnapshot, type StoredObject } from './objects.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function objectToJson(object: StoredObject, options: { showValues: boolean }): JsonValue {
  switch (object.type) {
    case 'snapshot':
      if (object.encoding === 'age') {
        return {
          type: 'snapshot',
          version: 1,
          encoding: 'age',
          keys: [...object.keys],
          recipients: [...object.recipients],
          payload: base64(object.payload),
        };
      }
      return {
        type: 'snapshot',
        version: 1,
        encoding: 'plain',
        ...(options.showValues ? {} : { masked: true }),
        entries: Object.fromEntries([...object.entries].map(([k, v]) => [k, options.showValues ? v : null])),
      };
    case 'commit':
      return {
        type: 'commit',
        version: 1,
        snapshot: object.snapshot,
        parents: [...object.parents],
        author: object.author,
        time: object.time,
        message: object.message,
        members: object.members,
        signature: hex(object.signature),
      };
    case 'event':
      return {
        type: 'event',
        version: 1,
        group: object.group,
        seq: object.seq,
        prev: object.prev,
        time: object.time,
        actor: hex(object.actor),
        kind: object.kind,
        subject: object.subject.map(fieldToJson),
        signature: hex(object.signature),
      };
  }
}

/** Parses the JSON form. Shape errors name the field; the caller encodes (and so validates) the result. */
export function objectFromJson(value: unknown): StoredObject {
  const doc = record(value, 'document');
  if (doc.version !== 1) fail('version must be 1');
  switch (doc.type) {
    case 'snapshot': {
      if (doc.encoding === 'age') {
        return {
          type: 'snapshot',
          encoding: 'age',
          keys: strings(doc.keys, 'keys'),
          recipients: strings(doc.recipients, 'recipients'),
          payload: fromBase64(doc.payload),
        };
      }
      if (doc.encoding !== 'plain') fail('encoding must be "plain" or "age"');
      if (doc.masked === true)
        fail('values are masked; use cat-file --json --show-values to get a hashable form');
      const entries = Object.entries(record(doc.entries, 'entries')).map(([k, v]) => {
        if (typeof v !== 'string') fail(`entries.${k} must be a string`);
        return [k, v as string] as const;
      });
      return plainSnapshot(entries);
    }
    case 'commit':
      return {
        type: 'commit',
        snapshot: id(doc.snapshot, 'snapshot'),
        parents: strings(doc.parents, 'parents').map((p) => id(p, 'parents')),
        author: string(doc.author, 'author'),
        time: uint(doc.time, 'time'),
        message: string(doc.message, 'message'),
        members: doc.members === null ? null : id(doc.members, 'members'),
        signature: doc.signature === undefined ? new Uint8Array(0) : fromHex(doc.signature, 'signature'),
      };
    case 'event':
      return {
        type: 'event',
        group: doc.group === null ? null : id(doc.group, 'group'),
        seq: uint(doc.seq, 'seq'),
        prev: doc.prev === null ? null : id(doc.prev, 'prev'),
        time: uint(doc.time, 'time'),
        actor: fromHex(doc.actor, 'actor'),
        kind: string(doc.kind, 'kind'),
        subject: array(doc.subject, 'subject').map(fieldFromJson),
        signature: fromHex(doc.signature, 'signature'),
      };
    default:
      return fail('type must be "snapshot", "commit" or "event"');
  }
}

function fieldToJson(field: EventField): JsonValue {
  return field instanceof Uint8Array ? { bytes: hex(field) } : field;
}

function fieldFromJson(value: unknown): EventField {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return uint(value, 'subject field');
  return fromHex(record(value, 'subject field').bytes, 'subject field');
}

function fail(detail: string): never {
  throw new EnvSyncError('E_OBJECT_CORRUPT', `object JSON: ${detail}`);
}
function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${field} must be an object`);
  return value as Record<string, unknown>;
}
function array(value: unknown, field: string): unknown[] {
  return Array.isArray(value) ? value : fail(`${field} must be an array`);
}
function string(value: unknown, field: string): string {
  return typeof value === 'string' ? value : fail(`${field} must be a string`);
}
function strings(value: unknown, field: string): string[] {
  return array(value, field).map((v) => string(v, field));
}
function uint(value: unknown, field: string): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_UINT
    ? value
    : fail(`${field} must be an unsigned 32-bit integer`);
}
function id(value: unknown, field: string): ObjectId {
  return parseObjectId(string(value, field), `object JSON: ${field}`);
}
function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
function fromHex(value: unknown, field: string): Uint8Array {
  const text = string(value, field);
  if (!/^([0-9a-f]{2})*$/.test(text)) fail(`${field} must be lowercase hex`);
  return Buffer.from(text, 'hex');
}
function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
function fromBase64(value: unknown): Uint8Array {
  const text = string(value, 'payload');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) fail('payload must be base64');
  return Buffer.from(text, 'base64');
}
