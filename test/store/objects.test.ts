import { createHash } from 'node:crypto';
import t from 'tap';
import { type Canonical, decodeCanonical, encodeCanonical } from '../../src/store/encoding.ts';
import {
  MAX_EVENT_SUBJECT_FIELDS,
  MAX_KEY_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_OBJECT_BYTES,
  MAX_PARENTS,
  MAX_SNAPSHOT_ENTRIES,
} from '../../src/store/limits.ts';
import { hashObjectBytes, idToBytes, type ObjectId } from '../../src/store/object-id.ts';
import { decodeObject, encodeObject, plainSnapshot, type StoredObject } from '../../src/store/objects.ts';
import {
  ID_A,
  ID_B,
  RECIPIENT_1,
  RECIPIENT_2,
  SAMPLES,
  sampleAge,
  sampleCommit,
  sampleEvent,
} from './sample-objects.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const decodeArray = (array: Canonical, what = 'object x') => decodeObject(encodeCanonical(array), what);
/** Byte strings as `bytes:<hex>` so Buffer and Uint8Array compare equal. */
const comparable = (value: unknown): unknown =>
  value instanceof Uint8Array
    ? `bytes:${hex(value)}`
    : Array.isArray(value)
      ? value.map(comparable)
      : value instanceof Map
        ? [...value].map(comparable)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]))
          : value;

t.test('test vector: a plain snapshot has exactly the documented bytes and id', async (t) => {
  const bytes = encodeObject(
    plainSnapshot([
      ['B', '2'],
      ['A', '1'],
    ]),
  );
  // docs/object-format.md#example: ["snapshot", 1, "plain", [["A","1"],["B","2"]]]
  t.equal(hex(bytes), '94a8736e617073686f7401a5706c61696e9292a141a13192a142a132');
  const id = 'a1f209d15ac844f23b709df9e3c03bf02162ec33d99899e45944135f56e6a03c';
  t.equal(hashObjectBytes(bytes), id);
  t.equal(createHash('sha256').update(bytes).digest('hex'), id, 'the id is plain SHA-256 of the bytes');
});

t.test('test vector: a commit has exactly the documented bytes and id', async (t) => {
  const bytes = encodeObject(
    sampleCommit({
      snapshot: 'a1f209d15ac844f23b709df9e3c03bf02162ec33d99899e45944135f56e6a03c' as ObjectId,
      parents: [],
      author: 'peer-1',
      time: 1_700_000_000,
      message: 'first',
    }),
  );
  t.equal(
    hex(bytes),
    '99a6636f6d6d697401c420a1f209d15ac844f23b709df9e3c03bf02162ec33d99899e45944135f56e6a03c' +
      '90a6706565722d31ce6553f100a56669727374c0c400',
  );
  t.equal(hashObjectBytes(bytes), '17e5907d6d014774a1363446dc9eded771ced75faad7db64a2ad68a06b78c4bb');
});

t.test('every object type encodes to its documented array layout and decodes back unchanged', async (t) => {
  const layouts: Record<string, Canonical> = {
    'plain snapshot': [
      'snapshot',
      1,
      'plain',
      [
        ['API_KEY', 's3cr3t'],
        ['DATABASE_URL', 'postgres://u:p@db/app'],
      ],
    ],
    'age snapshot': [
      'snapshot',
      1,
      'age',
      ['API_KEY', 'DATABASE_URL'],
      [RECIPIENT_1, RECIPIENT_2],
      new Uint8Array([0x61, 0x67, 0x65, 1, 2, 3]),
    ],
    commit: [
      'commit',
      1,
      idToBytes(ID_A),
      [idToBytes(ID_B)],
      'peer-1',
      1_700_000_000,
      'rotate API_KEY',
      null,
      new Uint8Array(0),
    ],
    event: [
      'event',
      1,
      idToBytes(ID_A),
      1,
      idToBytes(ID_B),
      1_700_000_000,
      new Uint8Array(32).fill(7),
      'approve',
      ['peer-2', 3, true, null, new Uint8Array([9, 9])],
      new Uint8Array(64).fill(1),
    ],
  };
  for (const [name, make] of Object.entries(SAMPLES)) {
    const bytes = encodeObject(make());
    t.same(comparable(decodeCanonical(bytes, name)), comparable(layouts[name]), `${name} layout`);
    t.same(comparable(decodeObject(bytes, name)), comparable(make()), `${name} decodes to the same object`);
    t.same(encodeObject(decodeObject(bytes, name)), bytes, `${name} re-encodes to the same bytes`);
  }
});

t.test('identical content gives identical bytes whatever the insertion order', async (t) => {
  const a = plainSnapshot([
    ['b', '1'],
    ['A', '2'],
    ['_x', '3'],
    ['Z.z', '4'],
  ]);
  const b = plainSnapshot([
    ['Z.z', '4'],
    ['_x', '3'],
    ['A', '2'],
    ['b', '1'],
  ]);
  t.same(encodeObject(a), encodeObject(b));
  t.same([...a.entries.keys()], ['A', 'Z.z', '_x', 'b'], 'byte order: uppercase, underscore, lowercase');
});

t.test('a commit records a null members field and the time as an integer', async (t) => {
  const commit = sampleCommit({ members: ID_B, parents: [] });
  t.same(comparable(decodeObject(encodeObject(commit), 'c')), comparable(commit));
  t.throws(() => encodeObject(sampleCommit({ time: 1.5 })), { code: 'E_OBJECT_CORRUPT' });
  t.throws(() => encodeObject(sampleCommit({ time: 2 ** 32 })), { code: 'E_OBJECT_CORRUPT' });
});

t.test('an oversized object is refused on encode and on decode', async (t) => {
  const big = { ...sampleAge(), payload: new Uint8Array(MAX_OBJECT_BYTES) };
  t.throws(() => encodeObject(big), { code: 'E_OBJECT_TOO_LARGE' });
  t.throws(() => decodeObject(Buffer.alloc(MAX_OBJECT_BYTES + 1), 'object big'), {
    code: 'E_OBJECT_TOO_LARGE',
    message: /^object big: /,
  });
});

t.test('per-field limits are enforced on encode and on decode', async (t) => {
  const cases: Record<string, StoredObject> = {
    'too many keys': plainSnapshot(
      Array.from({ length: MAX_SNAPSHOT_ENTRIES + 1 }, (_, i) => [`K${i}`, ''] as const),
    ),
    'key too long': plainSnapshot([[`K${'x'.repeat(MAX_KEY_BYTES)}`, 'v']]),
    'too many parents': sampleCommit({
      parents: Array.from(
        { length: MAX_PARENTS + 1 },
        (_, i) => i.toString(16).padStart(64, '0') as ObjectId,
      ),
    }),
    'duplicate parent': sampleCommit({ parents: [ID_A, ID_A] }),
    'message too long': sampleCommit({ message: 'm'.repeat(MAX_MESSAGE_BYTES + 1) }),
    'empty author': sampleCommit({ author: '' }),
    'short actor': sampleEvent({ actor: new Uint8Array(31) }),
    'short signature': sampleEvent({ signature: new Uint8Array(63) }),
    'long subject': sampleEvent({ subject: Array(MAX_EVENT_SUBJECT_FIELDS + 1).fill(1) }),
    'empty kind': sampleEvent({ kind: '' }),
    'genesis with a group': sampleEvent({ seq: 0, prev: null }),
    'non-genesis without a parent': sampleEvent({ prev: null }),
    'age without recipients': { ...sampleAge(), recipients: [] },
    'age with unsorted recipients': { ...sampleAge(), recipients: [RECIPIENT_2, RECIPIENT_1] },
    'age with a bad recipient': { ...sampleAge(), recipients: ['age1short'] },
  };
  for (const [name, object] of Object.entries(cases)) {
    t.throws(() => encodeObject(object), { code: 'E_OBJECT_CORRUPT' }, `${name}: refused on encode`);
  }
  // The same rules hold for bytes that never went through encodeObject.
  const tooManyParents = Array.from({ length: MAX_PARENTS + 1 }, (_, i) =>
    idToBytes(i.toString(16).padStart(64, '0') as ObjectId),
  );
  t.throws(
    () => decodeArray(['commit', 1, idToBytes(ID_A), tooManyParents, 'p', 1, 'm', null, new Uint8Array(0)]),
    {
      code: 'E_OBJECT_CORRUPT',
      message: /more than 16 parents/,
    },
  );
});

t.test('invalid key names are refused without echoing the name', async (t) => {
  for (const key of ['', '1ABC', 'A B', 'A=secret', 'KEY\n', 'ä', '-A', '.A']) {
    try {
      encodeObject(plainSnapshot([[key, 'v']]));
      t.fail(`${JSON.stringify(key)} accepted`);
    } catch (error) {
      t.match(
        error,
        { code: 'E_OBJECT_CORRUPT', message: /key #1 has an invalid name/ },
        JSON.stringify(key),
      );
      if (key !== '') t.notMatch((error as Error).message, key, 'the name is not echoed');
    }
    t.throws(() => decodeArray(['snapshot', 1, 'plain', [[key, 'v']]]), { code: 'E_OBJECT_CORRUPT' });
    t.throws(() => decodeArray(['snapshot', 1, 'age', [key], [RECIPIENT_1], new Uint8Array(1)]), {
      code: 'E_OBJECT_CORRUPT',
    });
  }
});

t.test('unsorted or duplicate keys in stored bytes are refused', async (t) => {
  const cases: Canonical[] = [
    [
      'snapshot',
      1,
      'plain',
      [
        ['B', '1'],
        ['A', '2'],
      ],
    ],
    [
      'snapshot',
      1,
      'plain',
      [
        ['A', '1'],
        ['A', '2'],
      ],
    ],
    [
      'snapshot',
      1,
      'plain',
      [
        ['A', '1'],
        ['A', '1'],
      ],
    ],
    ['snapshot', 1, 'age', ['B', 'A'], [RECIPIENT_1], new Uint8Array(1)],
    ['snapshot', 1, 'age', ['A', 'A'], [RECIPIENT_1], new Uint8Array(1)],
    ['snapshot', 1, 'age', ['A'], [RECIPIENT_1, RECIPIENT_1], new Uint8Array(1)],
  ];
  for (const array of cases) {
    t.throws(() => decodeArray(array), { code: 'E_OBJECT_CORRUPT' }, JSON.stringify(array));
  }
});

t.test('wrong field counts, unknown types and versions are refused naming the object', async (t) => {
  const id = idToBytes(ID_A);
  const cases: Canonical[] = [
    [],
    ['snapshot'],
    'snapshot',
    ['tree', 1],
    ['snapshot', 2, 'plain', []],
    ['snapshot', 1, 'plain'],
    ['snapshot', 1, 'plain', [], []],
    ['snapshot', 1, 'zstd', []],
    ['snapshot', 1, 'plain', [['A']]],
    ['snapshot', 1, 'plain', [['A', 1]]],
    ['snapshot', 1, 'age', [], [RECIPIENT_1]],
    ['commit', 1, id, [], 'p', 1, 'm', null],
    ['commit', 1, id, [], 'p', 1, 'm', null, new Uint8Array(0), null],
    ['commit', 1, id.subarray(1), [], 'p', 1, 'm', null, new Uint8Array(0)],
    ['commit', 1, 'not bytes', [], 'p', 1, 'm', null, new Uint8Array(0)],
    ['commit', 1, id, [], 'p', '1', 'm', null, new Uint8Array(0)],
    ['commit', 1, id, [], 'p', 1, 'm', null, new Uint8Array(63)],
    ['event', 1, id, 1, id, 1, new Uint8Array(32), 'k', []],
    ['event', 1, id, 1, id, 1, new Uint8Array(32), 'k', [[1]], new Uint8Array(64)],
  ];
  for (const array of cases) {
    t.throws(
      () => decodeArray(array, 'object 0123456789ab'),
      { code: 'E_OBJECT_CORRUPT', message: /^object 0123456789ab/ },
      JSON.stringify(array),
    );
  }
});

t.test('a value outside the data model is refused on encode', async (t) => {
  for (const value of [-1, 1.5, 2 ** 32, Number.NaN, '\ud800', { a: 1 }, undefined]) {
    t.throws(() => encodeCanonical(value as Canonical), { code: 'E_OBJECT_CORRUPT' }, String(value));
  }
  t.throws(() => encodeObject(sampleCommit({ message: 'lone \udc00 surrogate' })), {
    code: 'E_OBJECT_CORRUPT',
  });
});
