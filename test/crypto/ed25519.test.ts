import { inspect } from 'node:util';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import t from 'tap';
import { SigningKey, verifySignature } from '../../src/crypto/ed25519.ts';

ed.hashes.sha512 = sha512;
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
const message = fc.uint8Array({ maxLength: 300 });

t.test('keys and signatures are byte-identical to @noble/ed25519 (RFC 8032)', async (t) => {
  fc.assert(
    fc.property(seed, message, (s, m) => {
      const key = SigningKey.fromSeed(s);
      const signature = key.sign(m);
      return (
        Buffer.from(key.publicKey).equals(ed.getPublicKey(s)) &&
        Buffer.from(signature).equals(ed.sign(m, s)) &&
        ed.verify(signature, m, key.publicKey)
      );
    }),
    { numRuns: 50 },
  );
  t.pass('50 random keys and messages agree');
});

t.test('RFC 8032 test vector 1 (empty message)', async (t) => {
  const key = SigningKey.fromSeed(
    Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'),
  );
  t.equal(
    Buffer.from(key.publicKey).toString('hex'),
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  );
  t.equal(
    Buffer.from(key.sign(new Uint8Array())).toString('hex'),
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  );
});

t.test('a signature verifies; a flipped bit in the message, signature or key does not', async (t) => {
  const key = SigningKey.generate();
  const m = new TextEncoder().encode('approve peer MZUHVL-PYUMK6');
  const signature = key.sign(m);
  t.ok(verifySignature(key.publicKey, m, signature));
  fc.assert(
    fc.property(fc.nat(m.length * 8 - 1), fc.nat(64 * 8 - 1), fc.nat(32 * 8 - 1), (mb, sb, kb) => {
      const m2 = Uint8Array.from(m);
      m2[mb >> 3]! ^= 1 << (mb & 7);
      const s2 = Uint8Array.from(signature);
      s2[sb >> 3]! ^= 1 << (sb & 7);
      const k2 = Uint8Array.from(key.publicKey);
      k2[kb >> 3]! ^= 1 << (kb & 7);
      return (
        !verifySignature(key.publicKey, m2, signature) &&
        !verifySignature(key.publicKey, m, s2) &&
        !verifySignature(k2, m, signature)
      );
    }),
    { numRuns: 200 },
  );
  t.notOk(verifySignature(SigningKey.generate().publicKey, m, signature), 'another key');
  t.notOk(verifySignature(key.publicKey, m, signature.subarray(0, 63)), 'short signature');
  t.notOk(verifySignature(key.publicKey.subarray(1), m, signature), 'short key');
  t.notOk(verifySignature(new Uint8Array(32).fill(0xff), m, signature), 'a key that is not a point');
});

t.test('keys that are random bytes or not curve points verify nothing, without throwing', async (t) => {
  const key = SigningKey.generate();
  const m = new TextEncoder().encode('revoke peer MZUHVL-PYUMK6');
  const signature = key.sign(m);
  fc.assert(
    fc.property(seed, (bytes) => !verifySignature(bytes, m, signature)),
    { numRuns: 300 },
  );
  // y = 2 has no x on the curve; y = p (not reduced) and y = 2^255 - 1 are not canonical encodings.
  const notPoints = [
    '02',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'ff'.repeat(32),
  ];
  for (const hex of notPoints) {
    const bytes = Buffer.from(hex.padEnd(64, '0'), 'hex');
    t.notOk(verifySignature(bytes, m, signature), `${hex.slice(0, 8)}… is refused`);
    t.notOk(verifySignature(bytes, m, signature), `${hex.slice(0, 8)}… is refused again (cached import)`);
  }
});

t.test('the PKCS#8 PEM form round-trips and is what openssl writes', async (t) => {
  const key = SigningKey.generate();
  const pem = key.toPkcs8Pem();
  t.match(
    pem,
    /^-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI[A-Za-z0-9+/]{43}\n-----END PRIVATE KEY-----\n$/,
  );
  const again = SigningKey.fromPkcs8Pem(pem);
  t.same(again?.publicKey, key.publicKey);
  t.equal(SigningKey.fromPkcs8Pem(pem.replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\nAAAA')), null);
  t.equal(SigningKey.fromPkcs8Pem('not a key'), null);
});

t.test('the seed never shows in inspect, JSON or string forms', async (t) => {
  const s = Uint8Array.from({ length: 32 }, (_, i) => 200 + (i % 50));
  const key = SigningKey.fromSeed(s);
  const hex = Buffer.from(s).toString('hex');
  for (const text of [inspect(key, { depth: 10, showHidden: true }), JSON.stringify(key), String(key)]) {
    t.notMatch(text, hex);
    t.notMatch(text, Buffer.from(s).toString('base64'));
    t.notMatch(text, [...s].join(', '));
  }
});
