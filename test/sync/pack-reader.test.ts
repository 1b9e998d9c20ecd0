import zlib from 'node:zlib';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { isEnvSyncError } from '../../src/errors.ts';
import { encodeCanonical } from '../../src/store/encoding.ts';
import { hashObjectBytes, idToBytes, shortId } from '../../src/store/object-id.ts';
import { referencesOf } from '../../src/store/object-references.ts';
import { decodeObject, encodeObject, plainSnapshot } from '../../src/store/objects.ts';
import type { Repository } from '../../src/store/repository.ts';
import { encodeFrame, FrameReader } from '../../src/sync/frames.ts';
import { DEFAULT_SYNC_LIMITS } from '../../src/sync/limits.ts';
import { receivePack } from '../../src/sync/pack-reader.ts';
import { mutate, mutation } from '../store/mutations.ts';
import { validObject } from '../store/sample-objects.ts';
import { makeStoreRepo } from '../store/store-repo.ts';

// A received object is judged by the store's one decoder, decodeObject: a pack holding an object it refuses is
// refused with its error and stores nothing; an object it accepts is stored once what it refers to is.

type Verdict = { refused: string } | { stored: true };

/** What the receiver does with a pack of the single object `bytes`, wanted as the pack's tip. */
async function receiveOne(repo: Repository, bytes: Uint8Array): Promise<Verdict> {
  const id = hashObjectBytes(bytes);
  const frames = Buffer.concat([
    encodeFrame({ type: 'object', id: idToBytes(id), data: bytes }),
    encodeFrame({ type: 'done', objects: 1, bytes: bytes.length }),
  ]);
  const pack = Buffer.concat([encodeFrame({ type: 'pack', objects: 1 }), zlib.brotliCompressSync(frames)]);
  const reader = new FrameReader(
    (async function* () {
      yield pack;
    })(),
    DEFAULT_SYNC_LIMITS,
    'peer',
  );
  let type: 'snapshot' | 'commit' | 'event' = 'snapshot';
  try {
    type = decodeObject(bytes, 'x').type;
  } catch {}
  try {
    await receivePack(repo, reader, DEFAULT_SYNC_LIMITS, [{ name: 'tip', id, type }], 'fetch');
    return { stored: true };
  } catch (error) {
    if (!isEnvSyncError(error)) throw error;
    return { refused: error.message };
  }
}

/** The verdict decodeObject implies: its error, a missing reference, or stored. */
function expectedVerdict(bytes: Uint8Array): Verdict | RegExp {
  const what = `object ${shortId(hashObjectBytes(bytes))}`;
  try {
    const object = decodeObject(bytes, what);
    return referencesOf(object).length === 0 ? { stored: true } : /before [0-9a-f]{12}, which it refers to/;
  } catch (error) {
    if (!isEnvSyncError(error)) throw error;
    return { refused: `peer sent an invalid object: ${error.message}` };
  }
}

async function holdsTo(t: Test, repo: Repository, bytes: Uint8Array, name: string): Promise<void> {
  const expected = expectedVerdict(bytes);
  const verdict = await receiveOne(repo, bytes);
  if (expected instanceof RegExp) t.match(verdict, { refused: expected }, name);
  else t.same(verdict, expected, name);
  if ('refused' in verdict) t.notOk(await repo.objects.has(hashObjectBytes(bytes)), `${name}: not stored`);
}

const value = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', 'x'.repeat(32), 'é'.repeat(128), 'y'.repeat(256), '😀'.repeat(70)),
);
const plainObject = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,40}$/), value), {
    selector: ([k]) => k,
    maxLength: 40,
  })
  .map((entries) => plainSnapshot(entries));

t.test('any object, mutated or not, is received exactly as the decoder judges it', async (t) => {
  const repo = await makeStoreRepo(t);
  await fc.assert(
    fc.asyncProperty(fc.oneof(validObject, plainObject), fc.option(mutation), async (object, m) => {
      const bytes = encodeObject(object);
      await holdsTo(
        t,
        repo,
        m === null ? bytes : mutate(bytes, m),
        `${object.type}${m === null ? '' : ' mutated'}`,
      );
    }),
    { numRuns: 400 },
  );
});

/** A plain snapshot's encoding with `entries` as given: any order, any names (encodeCanonical checks neither). */
function rawPlain(entries: readonly (readonly [string, string])[]): Uint8Array {
  return encodeCanonical(['snapshot', 1, 'plain', entries.map(([k, v]) => [k, v])]);
}

/** A commit's encoding with the given fields: encodeCanonical checks none of the commit rules. */
function rawCommit(fields: { parents?: Buffer[]; author?: string; message?: string }): Uint8Array {
  return encodeCanonical([
    'commit',
    1,
    Buffer.alloc(32, 1),
    fields.parents ?? [],
    fields.author ?? 'peer-1',
    1,
    fields.message ?? 'm',
    null,
    new Uint8Array(0),
  ]);
}

t.test('a pack holding an object the decoder refuses is refused with the decoder’s error', async (t) => {
  const repo = await makeStoreRepo(t);
  const header = rawPlain([]).subarray(0, 17);
  const cases: Record<string, [Uint8Array, RegExp]> = {
    'keys out of order': [
      rawPlain([
        ['B', '1'],
        ['A', '2'],
      ]),
      /keys must be unique and in ascending order/,
    ],
    'a repeated key': [
      rawPlain([
        ['A', '1'],
        ['A', '2'],
      ]),
      /keys must be unique and in ascending order/,
    ],
    'an empty key': [rawPlain([['', '1']]), /key #1 has an invalid name/],
    'a key holding =': [rawPlain([['A=B', '1']]), /key #1 has an invalid name/],
    'a key longer than 1024 bytes': [
      rawPlain([['K'.repeat(1025), '1']]),
      /key #1 is longer than the limit of 1024 characters/,
    ],
    'a string in a wider form than needed': [
      Buffer.concat([header, Buffer.from([0x91, 0x92, 0xd9, 1, 0x41, 0xa1, 0x31])]),
      /encoding is not canonical msgpack/,
    ],
    'a 16-bit count under 16': [
      Buffer.concat([header, Buffer.from([0xdc, 0, 1, 0x92, 0xa1, 0x41, 0xa1, 0x31])]),
      /encoding is not canonical msgpack/,
    ],
    'a lone surrogate in a value': [
      Buffer.concat([header, Buffer.from([0x91, 0x92, 0xa1, 0x41, 0xa3, 0xed, 0xa0, 0x80])]),
      /not well-formed UTF-8/,
    ],
    'a byte after the object': [
      Buffer.concat([rawPlain([['A', '1']]), Buffer.from([0])]),
      /1 bytes after the value/,
    ],
    'an entry of three strings': [
      encodeCanonical(['snapshot', 1, 'plain', [['A', '1', '2']]]),
      /entry must be a \[key, value\] pair/,
    ],
    'a number as a value': [encodeCanonical(['snapshot', 1, 'plain', [['A', 1]]]), /value must be a string/],
    'a repeated parent': [
      rawCommit({ parents: [Buffer.alloc(32, 2), Buffer.alloc(32, 2)] }),
      /duplicate parent/,
    ],
    '17 parents': [
      rawCommit({ parents: Array.from({ length: 17 }, (_, i) => Buffer.alloc(32, i + 2)) }),
      /more than 16 parents/,
    ],
    'a 31-byte parent': [rawCommit({ parents: [Buffer.alloc(31, 2)] }), /parent/],
    'an empty author': [rawCommit({ author: '' }), /author must be a peer id/],
    'a message over 64 KiB': [rawCommit({ message: 'm'.repeat(64 * 1024 + 1) }), /message too long/],
  };
  for (const [name, [bytes, error]] of Object.entries(cases)) {
    const verdict = await receiveOne(repo, bytes);
    t.match(verdict, { refused: /^peer sent an invalid object: object [0-9a-f]{12}: / }, name);
    t.match(verdict, { refused: error }, `${name}: ${'refused' in verdict ? verdict.refused : 'stored'}`);
    await holdsTo(t, repo, bytes, name);
  }
});
