// parseEd25519PublicKey, the one check of a member's Ed25519 key where it enters: a canonical encoding of a
// point of large order, as @noble/ed25519's strict decoding and order check would say.

import { Point } from '@noble/ed25519';
import fc from 'fast-check';
import t from 'tap';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { parseEd25519PublicKey } from '../../src/crypto/ed25519-public-key.ts';

const key = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

// Every encoding of the 8 small-order points: the canonical ones, then y ≥ p and x = 0 with the sign bit set.
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
];
const Y_NOT_BELOW_P = [
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];
const NEGATIVE_ZERO_X = [
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
];

/** noble's verdict: strict RFC 8032 decoding, then not of small order. */
function nobleAccepts(bytes: Uint8Array): boolean {
  try {
    return !Point.fromBytes(bytes, false).isSmallOrder();
  } catch {
    return false;
  }
}

t.test('a generated key is accepted as it is', async (t) => {
  const { publicKey } = SigningKey.generate();
  t.equal(parseEd25519PublicKey(publicKey), publicKey);
});

t.test('each of the 8 small-order points is refused', async (t) => {
  for (const hex of SMALL_ORDER) {
    t.throws(() => parseEd25519PublicKey(key(hex)), {
      code: 'E_PUBLIC_KEY_INVALID',
      message: /small-order point/,
    });
    t.throws(
      () => parseEd25519PublicKey(key(hex), 'signature'),
      { message: /small-order/ },
      'without decoding too',
    );
  }
});

t.test('non-canonical encodings are refused: y not below p, or x = 0 with the sign bit set', async (t) => {
  for (const hex of Y_NOT_BELOW_P) {
    t.throws(() => parseEd25519PublicKey(key(hex), 'signature'), { message: /y coordinate is not below/ });
  }
  for (const hex of NEGATIVE_ZERO_X) {
    t.throws(() => parseEd25519PublicKey(key(hex), 'signature'), { message: /x = 0 with the sign bit set/ });
  }
});

t.test('a key that is not 32 bytes is refused', async (t) => {
  for (const length of [0, 31, 33, 64]) {
    t.throws(() => parseEd25519PublicKey(new Uint8Array(length).fill(3)), {
      message: new RegExp(`${length} bytes`),
    });
  }
});

t.test(
  'a string that is no curve point is refused when decoded, and left to the signature otherwise',
  async (t) => {
    const offCurve = key(`02${'00'.repeat(31)}`);
    t.throws(() => parseEd25519PublicKey(offCurve), { message: /not a point on the curve/ });
    t.equal(parseEd25519PublicKey(offCurve, 'signature'), offCurve);
  },
);

t.test('the verdict agrees with noble on random strings and near the edge cases', async () => {
  const edges = [...SMALL_ORDER, ...Y_NOT_BELOW_P, ...NEGATIVE_ZERO_X].map(key);
  const near = fc
    .tuple(fc.constantFrom(...edges), fc.nat(31), fc.nat(255))
    .map(([bytes, at, value]) => Uint8Array.from(bytes, (byte, i) => (i === at ? value : byte)));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), near), (bytes) => {
      let ours = true;
      try {
        parseEd25519PublicKey(bytes);
      } catch {
        ours = false;
      }
      return ours === nobleAccepts(bytes);
    }),
    { numRuns: 2000 },
  );
});
