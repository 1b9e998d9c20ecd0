// parseAgeRecipient, the one check of an age recipient where it enters: only what age itself accepts as an
// X25519 recipient (lower-case bech32, `age` prefix, 32 bytes) and never a low-order point.

import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { bech32 } from '@scure/base';
import fc from 'fast-check';
import t from 'tap';
import { encodeAgeRecipient, isLowOrderX25519, parseAgeRecipient } from '../../src/crypto/age-recipient.ts';
import { ageKey } from './age-round-trip.ts';
import { assertNoSecrets } from './helpers.ts';

// The X25519 points of order 1, 2, 4 or 8, canonical and as u + p, each also with bit 255 set.
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].flatMap((hex) => {
  const key = Uint8Array.from(Buffer.from(hex, 'hex'));
  const high = Uint8Array.from(key);
  high[31]! |= 0x80;
  return [key, high];
});

/** Whether X25519 of a fresh key with `u` is all zeros, as node:crypto (OpenSSL) computes it. */
function sharedSecretIsZero(u: Uint8Array): boolean {
  const { privateKey } = generateKeyPairSync('x25519');
  const x = Buffer.from(u).toString('base64url');
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
  try {
    return diffieHellman({ privateKey, publicKey }).every((byte) => byte === 0);
  } catch {
    return true; // OpenSSL refuses to return an all-zero secret
  }
}

const withChar = (text: string, at: number, char: string): string =>
  text.slice(0, at) + char + text.slice(at + 1);

t.test('an age1 X25519 recipient gives its 32 bytes back', async (t) => {
  const { recipient } = await ageKey();
  const key = parseAgeRecipient(recipient);
  t.equal(key.length, 32);
  t.equal(encodeAgeRecipient(key), recipient, 'encoding it again gives the same text');
});

t.test('a recipient with a typo is refused: its checksum does not match', async (t) => {
  const { recipient } = await ageKey();
  const typo = withChar(recipient, 20, recipient[20] === 'q' ? 'p' : 'q');
  t.throws(() => parseAgeRecipient(typo), {
    code: 'E_RECIPIENT_INVALID',
    message: /checksum does not match/,
  });
  t.throws(() => parseAgeRecipient(recipient.slice(0, -2)), { code: 'E_RECIPIENT_INVALID' });
});

t.test('upper or mixed case is refused, as age refuses it for recipients', async (t) => {
  const { recipient } = await ageKey();
  t.throws(() => parseAgeRecipient(recipient.toUpperCase()), { message: /not all lower case/ });
  t.throws(() => parseAgeRecipient(`age1${recipient.slice(4, 10).toUpperCase()}${recipient.slice(10)}`), {
    message: /not all lower case/,
  });
});

t.test(
  'the Kelvin sign, other non-ASCII characters and blanks are refused, not folded to ASCII',
  async (t) => {
    const { recipient } = await ageKey();
    const k = recipient.indexOf('k', 4);
    const withKelvin =
      k > 0 ? withChar(recipient, k, '\u212a') : `${recipient.slice(0, 10)}\u212a${recipient.slice(11)}`;
    t.throws(() => parseAgeRecipient(withKelvin), {
      code: 'E_RECIPIENT_INVALID',
      message: /not printable ASCII/,
    });
    t.throws(() => parseAgeRecipient(withChar(recipient, 12, '\u0131')), { message: /not printable ASCII/ });
    t.throws(() => parseAgeRecipient(` ${recipient}`), { message: /not printable ASCII/ });
    t.throws(() => parseAgeRecipient(`${recipient}\n`), { message: /not printable ASCII/ });
  },
);

t.test('a wrong prefix or a wrong length is refused', async (t) => {
  const words = bech32.toWords(new Uint8Array(32).fill(9));
  t.throws(() => parseAgeRecipient(bech32.encode('agf', words)), { message: /does not start with age1/ });
  t.throws(() => parseAgeRecipient(bech32.encode('age1x', words)), { message: /prefix is not age/ });
  for (const length of [0, 31, 33, 64]) {
    const text = bech32.encode('age', bech32.toWords(new Uint8Array(length).fill(9)), 200);
    t.throws(
      () => parseAgeRecipient(text),
      { message: new RegExp(`holds ${length} bytes`) },
      `${length} bytes`,
    );
  }
  t.throws(() => parseAgeRecipient('hello'), { message: /does not start with age1/ });
  t.throws(() => parseAgeRecipient('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI'), { message: /SSH recipients/ });
  t.throws(() => parseAgeRecipient('age1pq1qqqq'), { message: /post-quantum/ });
  t.throws(() => parseAgeRecipient('age1tag1qqqq'), { message: /tag recipients/ });
});

t.test('keys whose bech32 data starts with "pq" or "tag" are ordinary X25519 recipients', async (t) => {
  for (const start of [
    [0x08, 0x00],
    [0x5f, 0x50],
  ]) {
    const key = new Uint8Array(32).fill(7);
    key.set(start);
    const lookalike = encodeAgeRecipient(key);
    t.match(lookalike, /^age1(pq|tag)[^1]/);
    t.same(parseAgeRecipient(lookalike), key, `${lookalike.slice(0, 8)}… is an X25519 recipient`);
  }
});

t.test('every low-order point is refused, as the all-zero shared secret it gives', async (t) => {
  for (const key of LOW_ORDER) {
    const text = encodeAgeRecipient(key);
    t.ok(sharedSecretIsZero(key), `${Buffer.from(key).toString('hex').slice(0, 8)}… gives all zeros`);
    t.throws(() => parseAgeRecipient(text), {
      code: 'E_RECIPIENT_INVALID',
      message: /low-order X25519 point/,
    });
  }
});

t.test('the low-order list agrees with X25519 itself on random keys', async () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      (key) => isLowOrderX25519(key) === sharedSecretIsZero(key),
    ),
    { numRuns: 300 },
  );
});

t.test('a secret key given as a recipient is refused without being quoted', async (t) => {
  const { secret } = await ageKey();
  for (const text of [secret, secret.toLowerCase()]) {
    const error = t.throws(() => parseAgeRecipient(text)) as Error;
    t.match(error, { code: 'E_RECIPIENT_INVALID', message: /this is an age secret key, not a recipient/ });
    assertNoSecrets(
      t,
      error.message,
      [secret, secret.slice(16, 40), secret.slice(16, 40).toLowerCase()],
      'the message',
    );
  }
});
