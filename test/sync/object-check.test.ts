import fc from 'fast-check';
import t from 'tap';
import { isEnvSyncError } from '../../src/errors.ts';
import { encodeCanonical } from '../../src/store/encoding.ts';
import { decodeObject, encodeObject, plainSnapshot } from '../../src/store/objects.ts';
import { referencesOf } from '../../src/store/references.ts';
import {
  canonicalCommitReferences,
  checkObject,
  isCanonicalPlainSnapshot,
  PlainSnapshotChecker,
} from '../../src/sync/object-check.ts';
import { mutate, mutation } from '../store/mutations.ts';
import { validObject } from '../store/sample-objects.ts';

/** decodeObject's verdict: the type and references, or the error's code and message. */
function decodeVerdict(bytes: Uint8Array): unknown {
  try {
    const object = decodeObject(bytes, 'x');
    return { type: object.type, refs: referencesOf(object) };
  } catch (error) {
    if (!isEnvSyncError(error)) throw error;
    return { code: error.code, message: error.message };
  }
}

function checkVerdict(bytes: Uint8Array): unknown {
  try {
    const checked = checkObject(bytes, 'x');
    return { type: checked.type, refs: checked.refs };
  } catch (error) {
    if (!isEnvSyncError(error)) throw error;
    return { code: error.code, message: error.message };
  }
}

/** A plain snapshot's encoding with `entries` as given: any order, any names (encodeCanonical checks neither). */
function rawPlain(entries: readonly (readonly [string, string])[]): Uint8Array {
  return encodeCanonical(['snapshot', 1, 'plain', entries.map(([k, v]) => [k, v])]);
}

const value = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', 'x'.repeat(31), 'x'.repeat(32), 'é'.repeat(128), 'y'.repeat(256), '😀'.repeat(70)),
);
const manyEntries = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,40}$/), value), {
    selector: ([k]) => k,
    maxLength: 40,
  })
  .map((entries) => plainSnapshot(entries));

t.test(
  'every valid object gets the verdict decodeObject gives; plain snapshots and commits skip the decode',
  async (t) => {
    fc.assert(
      fc.property(fc.oneof(validObject, manyEntries), (object) => {
        const bytes = encodeObject(object);
        t.same(checkVerdict(bytes), decodeVerdict(bytes));
        const plain = object.type === 'snapshot' && object.encoding === 'plain';
        t.equal(isCanonicalPlainSnapshot(bytes), plain);
        const asciiCommit = object.type === 'commit' && /^[\x00-\x7f]*$/.test(object.author);
        t.equal(canonicalCommitReferences(bytes) !== null, asciiCommit);
      }),
      { numRuns: 300 },
    );
  },
);

t.test(
  'large plain snapshots: 16-bit and 32-bit counts and lengths are accepted in their smallest form',
  async (t) => {
    const wide = plainSnapshot(Array.from({ length: 70_000 }, (_, i) => [`K${i}`, `${i}`] as const));
    t.equal(isCanonicalPlainSnapshot(encodeObject(wide)), true, '32-bit count');
    const long = plainSnapshot([['LONG', 'v'.repeat(70_000)]]);
    t.equal(isCanonicalPlainSnapshot(encodeObject(long)), true, '32-bit string length');
  },
);

t.test(
  'a mutated plain snapshot is never accepted unless decodeObject accepts it, and errors match',
  async (t) => {
    fc.assert(
      fc.property(manyEntries, mutation, (object, m) => {
        const bytes = mutate(encodeObject(object), m);
        const verdict = decodeVerdict(bytes);
        if (isCanonicalPlainSnapshot(bytes)) t.match(verdict, { type: 'snapshot', refs: [] });
        t.same(checkVerdict(bytes), verdict);
      }),
      { numRuns: 3000 },
    );
  },
);

/** An edit of a snapshot's entries, in any order (so that some results are out of order or repeat a key). */
const entryEdit = fc.oneof(
  fc.record({ kind: fc.constant('value' as const), at: fc.nat(), value }),
  fc.record({
    kind: fc.constant('key' as const),
    at: fc.nat(),
    key: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$|^$|^1/),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    key: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/),
    value,
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
);
type EntryEdit = typeof entryEdit extends fc.Arbitrary<infer E> ? E : never;

function applyEdit(entries: readonly (readonly [string, string])[], edit: EntryEdit): [string, string][] {
  const next = entries.map(([k, v]) => [k, v] as [string, string]);
  const at = next.length === 0 ? 0 : edit.at % next.length;
  if (edit.kind === 'insert') next.splice(edit.at % (next.length + 1), 0, [edit.key, edit.value]);
  else if (next.length === 0) return next;
  else if (edit.kind === 'value') next[at]![1] = edit.value;
  else if (edit.kind === 'key') next[at]![0] = edit.key;
  else next.splice(at, 1);
  return next;
}

t.test(
  'checked against the snapshot before it, a snapshot gets the verdict of a full check, mutated or not',
  async (t) => {
    fc.assert(
      fc.property(
        manyEntries,
        fc.array(fc.tuple(fc.array(entryEdit, { minLength: 1, maxLength: 3 }), fc.option(mutation)), {
          minLength: 1,
          maxLength: 6,
        }),
        (first, steps) => {
          const checker = new PlainSnapshotChecker();
          let entries = first.type === 'snapshot' && first.encoding === 'plain' ? [...first.entries] : [];
          t.equal(checker.check(rawPlain(entries)), true);
          for (const [edits, m] of steps) {
            for (const edit of edits) entries = applyEdit(entries, edit);
            const edited = rawPlain(entries);
            const bytes = m === null ? edited : mutate(edited, m);
            t.equal(checker.check(bytes), isCanonicalPlainSnapshot(bytes));
            // A valid edit is accepted or refused as the full check does, whatever came before it.
            if (m !== null) t.equal(checker.check(edited), isCanonicalPlainSnapshot(edited));
          }
        },
      ),
      { numRuns: 2000 },
    );
  },
);

/** The lengths of the longest common head and tail of `a` and `b`, not overlapping in the shorter. */
function commonEnds(a: Uint8Array, b: Uint8Array): [number, number] {
  const shorter = Math.min(a.length, b.length);
  let head = 0;
  while (head < shorter && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < shorter - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return [head, tail];
}

t.test(
  'told what it shares with the snapshot checked last (a delta), a snapshot gets the full check’s verdict',
  async (t) => {
    fc.assert(
      fc.property(
        manyEntries,
        fc.array(entryEdit, { minLength: 1, maxLength: 3 }),
        fc.option(mutation),
        fc.nat(),
        fc.nat(),
        (first, edits, m, cutHead, cutTail) => {
          let entries = first.type === 'snapshot' && first.encoding === 'plain' ? [...first.entries] : [];
          const base = rawPlain(entries);
          const checker = new PlainSnapshotChecker();
          t.equal(checker.check(base), true);
          for (const edit of edits) entries = applyEdit(entries, edit);
          const edited = rawPlain(entries);
          const bytes = m === null ? edited : mutate(edited, m);
          const [head, tail] = commonEnds(base, bytes);
          // Any true claim will do, not only the longest.
          const shared = { base, head: head - (cutHead % (head + 1)), tail: tail - (cutTail % (tail + 1)) };
          t.equal(checker.check(bytes, shared), isCanonicalPlainSnapshot(bytes));
        },
      ),
      { numRuns: 2000 },
    );
  },
);

t.test(
  'a snapshot checked against the one before it is still held to the key order at each seam',
  async (t) => {
    const entries = (keys: string) => [...keys].map((key, i) => [key, `v${i}`] as const);
    const cases: [string, string, boolean][] = [
      ['ABCD', 'ABCD', true],
      ['ABCD', 'AECD', false], // a changed key above the key after it
      ['ABCD', 'ABBD', false], // a key repeating the one before it
      ['ABDE', 'ACDE', true], // a changed key still between its neighbours
      ['ABCD', 'ABCDE', true],
      ['ABCD', 'BCD', true],
      ['ABCD', 'ABC', true],
    ];
    for (const [before, after, valid] of cases) {
      const checker = new PlainSnapshotChecker();
      t.equal(checker.check(rawPlain(entries(before))), true, before);
      const next = rawPlain(
        entries(after).map(([k], i) => [k, before.includes(k) ? `v${before.indexOf(k)}` : `n${i}`] as const),
      );
      t.equal(checker.check(next), valid, `${before} then ${after}`);
      t.equal(isCanonicalPlainSnapshot(next), valid, `${after} alone`);
    }
    // A value whose length changes moves every entry after it: those are found at their new place.
    const checker = new PlainSnapshotChecker();
    const long = entries('ABCDEFGH').map(([k, v]) => [k, v.repeat(20)] as const);
    t.equal(checker.check(rawPlain(long)), true);
    const shorter = long.map(([k, v]) => [k, k === 'C' ? 'c' : v] as const);
    t.equal(checker.check(rawPlain(shorter)), true);
    const wrong = [...shorter];
    wrong[6] = ['A', wrong[6]![1]];
    t.equal(checker.check(rawPlain(wrong)), false);
  },
);

t.test('what the decoder refuses, the check refuses, with the same error', async (t) => {
  const cases: Record<string, Uint8Array> = {
    'keys out of order': rawPlain([
      ['B', '1'],
      ['A', '2'],
    ]),
    'a repeated key': rawPlain([
      ['A', '1'],
      ['A', '2'],
    ]),
    'a key that is a prefix after the longer one': rawPlain([
      ['AB', '1'],
      ['A', '2'],
    ]),
    'an empty key': rawPlain([['', '1']]),
    'a key starting with a digit': rawPlain([['1A', '1']]),
    'a key holding =': rawPlain([['A=B', '1']]),
    'a key longer than 1024 bytes': rawPlain([['K'.repeat(1025), '1']]),
    'a string in a wider form than needed': Buffer.concat([
      rawPlain([]).subarray(0, 17),
      Buffer.from([0x91, 0x92, 0xd9, 1, 0x41, 0xa1, 0x31]),
    ]),
    'a 16-bit count under 16': Buffer.concat([
      rawPlain([]).subarray(0, 17),
      Buffer.from([0xdc, 0, 1, 0x92, 0xa1, 0x41, 0xa1, 0x31]),
    ]),
    'a lone surrogate in a value': Buffer.concat([
      rawPlain([]).subarray(0, 17),
      Buffer.from([0x91, 0x92, 0xa1, 0x41, 0xa3, 0xed, 0xa0, 0x80]),
    ]),
    'an overlong encoding in a value': Buffer.concat([
      rawPlain([]).subarray(0, 17),
      Buffer.from([0x91, 0x92, 0xa1, 0x41, 0xa2, 0xc0, 0xaf]),
    ]),
    'a byte after the object': Buffer.concat([rawPlain([['A', '1']]), Buffer.from([0])]),
    'an entry of three strings': encodeCanonical(['snapshot', 1, 'plain', [['A', '1', '2']]]),
    'a number as a value': encodeCanonical(['snapshot', 1, 'plain', [['A', 1]]]),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    t.equal(isCanonicalPlainSnapshot(bytes), false, name);
    const verdict = decodeVerdict(bytes);
    t.match(verdict, { code: /^E_/ }, `${name}: the decoder refuses it`);
    t.same(checkVerdict(bytes), verdict, `${name}: same error`);
  }
});

/** A commit's encoding with the given fields: encodeCanonical checks none of the commit rules. */
function rawCommit(fields: {
  parents?: Buffer[];
  author?: string;
  time?: number;
  message?: string;
  members?: boolean;
}) {
  return encodeCanonical([
    'commit',
    1,
    Buffer.alloc(32, 1),
    fields.parents ?? [],
    fields.author ?? 'peer-1',
    fields.time ?? 1,
    fields.message ?? 'm',
    fields.members ? Buffer.alloc(32, 9) : null,
  ]);
}

const commitFields = fc.record({
  parents: fc
    .integer({ min: 0, max: 17 })
    .map((n) => Array.from({ length: n }, (_, i) => Buffer.alloc(32, i + 2))),
  members: fc.boolean(),
  time: fc.constantFrom(0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1),
  message: fc.string({ unit: 'grapheme', maxLength: 40 }),
  author: fc.constantFrom('peer-1', 'p', 'x'.repeat(128), 'x'.repeat(129), 'péer', ''),
});

t.test(
  'a commit, mutated or not, is accepted in place only if decodeObject accepts it, with its references',
  async (t) => {
    fc.assert(
      fc.property(commitFields, mutation, (fields, m) => {
        const bytes = rawCommit(fields);
        for (const candidate of [bytes, mutate(bytes, m)]) {
          const verdict = decodeVerdict(candidate);
          const refs = canonicalCommitReferences(candidate);
          if (refs !== null) t.same(verdict, { type: 'commit', refs });
          t.same(checkVerdict(candidate), verdict);
        }
      }),
      { numRuns: 3000 },
    );
  },
);

t.test('commits the decoder refuses are refused in place too, with the same error', async (t) => {
  const cases: Record<string, Uint8Array> = {
    'a repeated parent': rawCommit({ parents: [Buffer.alloc(32, 2), Buffer.alloc(32, 2)] }),
    '17 parents': rawCommit({ parents: Array.from({ length: 17 }, (_, i) => Buffer.alloc(32, i + 2)) }),
    'a 31-byte parent': rawCommit({ parents: [Buffer.alloc(31, 2)] }),
    'an empty author': rawCommit({ author: '' }),
    'an author of 129 characters': rawCommit({ author: 'a'.repeat(129) }),
    'a message over 64 KiB': rawCommit({ message: 'm'.repeat(64 * 1024 + 1) }),
    'a uint64 marker where the time is': encodeCanonical([
      'commit',
      1,
      Buffer.alloc(32, 1),
      [],
      'p',
      1,
      'm',
      null,
    ]).map((byte, i, all) => (i === all.length - 4 ? 0xcf : byte)),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    t.equal(canonicalCommitReferences(bytes), null, name);
    const verdict = decodeVerdict(bytes);
    t.match(verdict, { code: /^E_/ }, `${name}: the decoder refuses it`);
    t.same(checkVerdict(bytes), verdict, `${name}: same error`);
  }
});
