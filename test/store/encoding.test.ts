import fc from 'fast-check';
import { Packr } from 'msgpackr/pack';
import t, { type Test } from 'tap';
import { isEnvSyncError } from '../../src/errors.ts';
import {
  type Canonical,
  decodeCanonical,
  encodeCanonical,
  equalBytes,
  MAX_UINT,
} from '../../src/store/encoding.ts';

const canonical: fc.Arbitrary<Canonical> = fc.letrec<{ value: Canonical }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.nat({ max: 2 ** 32 - 1 }),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'grapheme' }).map((text) => `\uFEFF${text}`),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('value'), { maxLength: 4 }),
  ),
})).value;

t.test('decodeCanonical inverts encodeCanonical for every value of the data model', async (t) => {
  fc.assert(
    fc.property(canonical, (value) => {
      const bytes = encodeCanonical(value);
      t.same(encodeCanonical(decodeCanonical(bytes, 'x')), bytes);
    }),
  );
});

t.test(
  'a string that starts with U+FEFF (a byte-order mark) keeps it: one value, one encoding',
  async (t) => {
    t.equal(decodeCanonical(Uint8Array.of(0xa3, 0xef, 0xbb, 0xbf), 'x'), '\uFEFF');
    t.equal(decodeCanonical(encodeCanonical('\uFEFFalice'), 'x'), '\uFEFFalice');
  },
);

t.test('a float posing as an integer is refused as non-canonical', async (t) => {
  const float = Buffer.from([0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]); // 1.0 as float64
  t.throws(() => decodeCanonical(float, 'obj'), { code: 'E_NON_CANONICAL' });
  const wideInt = Buffer.from([0xcd, 0x00, 0x01]); // 1 as uint16 instead of fixint
  t.throws(() => decodeCanonical(wideInt, 'obj'), { code: 'E_NON_CANONICAL' });
});

t.test('maps, trailing bytes and truncation are refused with a message naming the object', async (t) => {
  for (const bytes of [
    Buffer.from([0x81, 0xa1, 0x61, 0x01]),
    Buffer.from([0x91, 0x01, 0x02]),
    Buffer.from([0x92, 0x01]),
  ]) {
    try {
      decodeCanonical(bytes, 'object abc');
      t.fail('should refuse');
    } catch (error) {
      t.ok(isEnvSyncError(error), 'typed error');
      t.match((error as Error).message, /^object abc: /);
    }
  }
});

// The rule decodeCanonical implements in one pass, stated the slow way: msgpackr decodes, the value must be in
// the data model, and re-encoding it must give the very same bytes.
const lenient = new Packr({ useRecords: false, int64AsType: 'number', mapsAsObjects: true });
function acceptedByReencoding(bytes: Uint8Array): Canonical | undefined {
  let value: Canonical;
  try {
    value = lenient.unpack(bytes);
    return equalBytes(encodeCanonical(value), bytes) ? value : undefined;
  } catch {
    return undefined;
  }
}

function verdict(bytes: Uint8Array): { value: Canonical } | { code: string } {
  try {
    return { value: decodeCanonical(bytes, 'object abc') };
  } catch (error) {
    if (!isEnvSyncError(error) || !(error as Error).message.startsWith('object abc: ')) throw error;
    return { code: (error as { code: string }).code };
  }
}

function sameVerdict(t: Test, bytes: Uint8Array): void {
  const expected = acceptedByReencoding(bytes);
  const actual = verdict(bytes);
  if (expected === undefined) {
    if ('value' in actual)
      t.fail(`accepted ${Buffer.from(bytes).toString('hex')}, which re-encodes differently`);
  } else if (!('value' in actual)) {
    t.fail(`refused ${Buffer.from(bytes).toString('hex')} (${actual.code}), a canonical encoding`);
  } else if (!equalBytes(encodeCanonical(actual.value), bytes)) {
    t.fail(`decoded ${Buffer.from(bytes).toString('hex')} to another value`);
  }
}

t.test('decodeCanonical agrees with decode-and-re-encode on mutated and random bytes', async (t) => {
  fc.assert(
    fc.property(
      canonical,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
      (value, edits) => {
        const bytes = Uint8Array.from(encodeCanonical(value));
        for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
        sameVerdict(t, bytes);
        sameVerdict(t, bytes.subarray(0, bytes.length - 1));
      },
    ),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => sameVerdict(t, bytes)),
    {
      numRuns: 3000,
    },
  );
  t.pass('same verdicts');
});

t.test('every length and integer form: the smallest is accepted, any longer one refused', async (t) => {
  const cases: Array<[string, Canonical]> = [
    ['uint', 0x7f],
    ['uint', 0x80],
    ['uint', 0xff],
    ['uint', 0x100],
    ['uint', 0xffff],
    ['uint', 0x10000],
    ['uint', MAX_UINT],
    ['string', 'x'.repeat(31)],
    ['string', 'x'.repeat(32)],
    ['string', 'x'.repeat(255)],
    ['string', 'x'.repeat(256)],
    ['string', 'x'.repeat(0x10000)],
    ['binary', new Uint8Array(0)],
    ['binary', new Uint8Array(256)],
    ['binary', new Uint8Array(0x10000)],
    ['array', Array.from({ length: 15 }, () => null)],
    ['array', Array.from({ length: 16 }, () => null)],
    ['array', Array.from({ length: 0x10000 }, () => null)],
  ];
  for (const [kind, value] of cases) {
    const bytes = encodeCanonical(value);
    t.same(encodeCanonical(decodeCanonical(bytes, 'x')), bytes, `${kind} of ${String(value).length}`);
  }
  // The same values behind a wider header than needed.
  const wider = [
    [0xcc, 0x05], // uint8 holding a fixint
    [0xcd, 0x00, 0xff], // uint16 holding a uint8
    [0xce, 0x00, 0x00, 0xff, 0xff], // uint32 holding a uint16
    [0xd9, 0x01, 0x61], // str8 holding a fixstr
    [0xda, 0x00, 0x01, 0x61], // str16 holding a fixstr
    [0xc5, 0x00, 0x01, 0x00], // bin16 holding one byte
    [0xdc, 0x00, 0x01, 0xc0], // array16 holding one item
  ];
  for (const bytes of wider) {
    t.throws(() => decodeCanonical(Uint8Array.from(bytes), 'x'), { code: 'E_NON_CANONICAL' });
  }
  t.throws(() => decodeCanonical(Uint8Array.from([0xa2, 0xc3, 0x28]), 'x'), {
    code: 'E_NON_CANONICAL',
    message: /UTF-8/,
  });
  t.throws(() => decodeCanonical(Uint8Array.from([0xa3, 0xed, 0xa0, 0x80]), 'x'), {
    code: 'E_NON_CANONICAL',
    message: /UTF-8/,
  });
  t.throws(() => decodeCanonical(Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff]), 'x'), {
    code: 'E_OBJECT_CORRUPT',
    message: /end of data/,
  });
  t.throws(() => decodeCanonical(encodeNested(9), 'x'), { code: 'E_OBJECT_CORRUPT' });
  t.ok(decodeCanonical(encodeNested(8), 'x'), 'nesting depth 8 is allowed');
});

/** An array nested `levels` deep, encoded by hand (encodeCanonical refuses more than 8). */
function encodeNested(levels: number): Uint8Array {
  return Uint8Array.from([...Array.from({ length: levels - 1 }, () => 0x91), 0x90]);
}
