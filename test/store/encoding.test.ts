import fc from 'fast-check';
import t from 'tap';
import { isEnvSyncError } from '../../src/errors.ts';
import { type Canonical, decodeCanonical, encodeCanonical } from '../../src/store/encoding.ts';

const canonical: fc.Arbitrary<Canonical> = fc.letrec<{ value: Canonical }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.nat({ max: 2 ** 32 - 1 }),
    fc.string({ unit: 'grapheme' }),
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
