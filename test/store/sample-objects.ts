// Valid objects of every type, and fast-check arbitraries that generate them, for the store tests.

import fc from 'fast-check';
import type { ObjectId } from '../../src/store/object-id.ts';
import {
  type AgeSnapshot,
  type CommitObject,
  type EventObject,
  type PlainSnapshot,
  plainSnapshot,
  type StoredObject,
} from '../../src/store/objects.ts';

export const ID_A = 'a'.repeat(64) as ObjectId;
export const ID_B = 'b'.repeat(64) as ObjectId;
export const ID_C = 'c'.repeat(64) as ObjectId;
/** Shaped like an age X25519 recipient (bech32 characters); the store checks the shape only. */
export const RECIPIENT_1 = `age1${'q'.repeat(58)}`;
export const RECIPIENT_2 = `age1${'z'.repeat(58)}`;

export function samplePlain(): PlainSnapshot {
  return plainSnapshot([
    ['DATABASE_URL', 'postgres://u:p@db/app'],
    ['API_KEY', 's3cr3t'],
  ]);
}

export function sampleAge(): AgeSnapshot {
  return {
    type: 'snapshot',
    encoding: 'age',
    keys: ['API_KEY', 'DATABASE_URL'],
    recipients: [RECIPIENT_1, RECIPIENT_2],
    payload: new Uint8Array([0x61, 0x67, 0x65, 1, 2, 3]),
  };
}

export function sampleCommit(overrides: Partial<CommitObject> = {}): CommitObject {
  return {
    type: 'commit',
    snapshot: ID_A,
    parents: [ID_B],
    author: 'peer-1',
    time: 1_700_000_000,
    message: 'rotate API_KEY',
    members: null,
    signature: new Uint8Array(0),
    ...overrides,
  };
}

export function sampleEvent(overrides: Partial<EventObject> = {}): EventObject {
  return {
    type: 'event',
    group: ID_A,
    seq: 1,
    prev: ID_B,
    time: 1_700_000_000,
    actor: new Uint8Array(32).fill(7),
    kind: 'approve',
    subject: ['peer-2', 3, true, null, new Uint8Array([9, 9])],
    signature: new Uint8Array(64).fill(1),
    ...overrides,
  };
}

export const SAMPLES: Readonly<Record<string, () => StoredObject>> = {
  'plain snapshot': samplePlain,
  'age snapshot': sampleAge,
  commit: sampleCommit,
  event: sampleEvent,
};

// ---- arbitraries -------------------------------------------------------------------------------------

const keyName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,12}$/);
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const uint = fc.nat({ max: 0xffff_ffff });
const objectId = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => Buffer.from(b).toString('hex') as ObjectId);
const recipient = fc
  .array(fc.constantFrom(...'qpzry9x8gf2tvdw0s3jn54khce6mua7l'), { minLength: 58, maxLength: 58 })
  .map((chars) => `age1${chars.join('')}`);

const plainArb: fc.Arbitrary<StoredObject> = fc
  .uniqueArray(fc.tuple(keyName, text), { selector: ([k]) => k, maxLength: 8 })
  .map((entries) => plainSnapshot(entries));

const ageArb: fc.Arbitrary<StoredObject> = fc
  .record({
    keys: fc.uniqueArray(keyName, { maxLength: 8 }),
    recipients: fc.uniqueArray(recipient, { minLength: 1, maxLength: 3 }),
    payload: fc.uint8Array({ maxLength: 80 }),
  })
  .map(({ keys, recipients, payload }) => ({
    type: 'snapshot' as const,
    encoding: 'age' as const,
    keys: [...keys].sort(),
    recipients: [...recipients].sort(),
    payload,
  }));

const commitArb: fc.Arbitrary<StoredObject> = fc.record({
  type: fc.constant('commit' as const),
  snapshot: objectId,
  parents: fc.uniqueArray(objectId, { maxLength: 3 }),
  author: fc.string({ minLength: 1, maxLength: 20 }),
  time: uint,
  message: text,
  members: fc.option(objectId, { nil: null }),
  signature: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 64, maxLength: 64 })),
});

const eventArb: fc.Arbitrary<StoredObject> = fc
  .record({
    genesis: fc.boolean(),
    group: objectId,
    seq: fc.integer({ min: 1, max: 0xffff_ffff }),
    prev: objectId,
    time: uint,
    actor: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    kind: fc.string({ minLength: 1, maxLength: 12 }),
    subject: fc.array(
      fc.oneof(fc.constant(null), fc.boolean(), uint, text, fc.uint8Array({ maxLength: 8 })),
      {
        maxLength: 5,
      },
    ),
    signature: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 64, maxLength: 64 })),
  })
  .map(({ genesis, ...e }) => ({
    type: 'event' as const,
    ...e,
    group: genesis ? null : e.group,
    prev: genesis ? null : e.prev,
    seq: genesis ? 0 : e.seq,
  }));

export const validObject: fc.Arbitrary<StoredObject> = fc.oneof(plainArb, ageArb, commitArb, eventArb);
