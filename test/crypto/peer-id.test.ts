import fc from 'fast-check';
import t from 'tap';
import { PEER_ID_LENGTH, parsePeerId, peerIdFromPublicKey } from '../../src/crypto/peer-id.ts';
import { isEnvSyncError } from '../../src/errors.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const key = fc.uint8Array({ minLength: 32, maxLength: 32 });

function rejects(input: string): boolean {
  try {
    parsePeerId(input);
    return false;
  } catch (error) {
    return isEnvSyncError(error, 'E_USAGE');
  }
}

t.test('a peer id is 6 dash-separated groups of 6 base32 characters', async (t) => {
  const id = peerIdFromPublicKey(new Uint8Array(32));
  t.match(id, /^([A-Z2-7]{6}-){5}[A-Z2-7]{6}$/);
  t.equal(id.length, PEER_ID_LENGTH);
});

t.test('the peer id of a known key is stable (a test vector for other implementations)', async (t) => {
  // Computed independently with Python's hashlib + base64.b32encode and a separate Luhn mod 32.
  t.equal(peerIdFromPublicKey(new Uint8Array(32)), 'MZUHVL-PYUMK6-XO3EPM-YGFY5H-4ODEAE-JOFEFA');
  t.equal(
    peerIdFromPublicKey(Uint8Array.from({ length: 32 }, (_, i) => i)),
    'MMG42K-LGYYQZ-WNEIS7-KRELXM-S3BJ72-BFJE4I',
  );
});

t.test('parsing accepts lower case, missing dashes and spaces, and returns the canonical form', async (t) => {
  fc.assert(
    fc.property(key, (bytes) => {
      const id = peerIdFromPublicKey(bytes);
      const plain = id.replace(/-/g, '');
      return (
        parsePeerId(id) === id &&
        parsePeerId(id.toLowerCase()) === id &&
        parsePeerId(plain) === id &&
        parsePeerId(` ${plain.match(/.{1,4}/g)!.join(' ')} `) === id
      );
    }),
  );
  t.pass('property held');
});

t.test('different keys give different peer ids', async (t) => {
  fc.assert(
    fc.property(
      key,
      key,
      (a, b) => Buffer.from(a).equals(Buffer.from(b)) || peerIdFromPublicKey(a) !== peerIdFromPublicKey(b),
    ),
  );
  t.pass('property held');
});

t.test('any single mistyped character is refused by the check characters', async (t) => {
  fc.assert(
    fc.property(key, fc.nat(35), fc.nat(30), (bytes, position, shift) => {
      const plain = peerIdFromPublicKey(bytes).replace(/-/g, '');
      const original = ALPHABET.indexOf(plain[position]!);
      const typo = ALPHABET[(original + 1 + shift) % 32]!; // every other letter, never the same one
      return rejects(plain.slice(0, position) + typo + plain.slice(position + 1));
    }),
    { numRuns: 2000 },
  );
  t.pass('property held for 2000 runs');
});

t.test('every single-character substitution of one id is refused (exhaustive)', async (t) => {
  const plain = peerIdFromPublicKey(Uint8Array.from({ length: 32 }, (_, i) => i)).replace(/-/g, '');
  let refused = 0;
  for (let position = 0; position < plain.length; position++) {
    for (const c of ALPHABET) {
      if (c === plain[position]) continue;
      if (rejects(plain.slice(0, position) + c + plain.slice(position + 1))) refused++;
    }
  }
  t.equal(refused, 36 * 31);
});

t.test('swapping two adjacent characters inside a group of 8 is refused, except A and 7', async (t) => {
  // Luhn mod 32 misses exactly one adjacent transposition: code points 0 and 31 ('A' and '7').
  fc.assert(
    fc.property(key, fc.nat(3), fc.nat(6), (bytes, chunk, offset) => {
      const plain = peerIdFromPublicKey(bytes).replace(/-/g, '');
      const i = chunk * 9 + offset;
      const [a, b] = [plain[i]!, plain[i + 1]!];
      if (a === b || (a + b).match(/^(A7|7A)$/)) return true;
      return rejects(plain.slice(0, i) + b + a + plain.slice(i + 2));
    }),
    { numRuns: 2000 },
  );
  t.pass('property held for 2000 runs');
});

t.test('a typo is reported with where it is, and lookalike digits get a hint', async (t) => {
  const id = peerIdFromPublicKey(new Uint8Array(32));
  const typo = `${id.slice(0, 2)}${id[2] === 'Q' ? 'R' : 'Q'}${id.slice(3)}`;
  t.throws(() => parsePeerId(typo), { code: 'E_USAGE', message: /typo in '.{9}' \(characters 1-9/ });
  t.throws(() => parsePeerId(`0${id.slice(1)}`), {
    code: 'E_USAGE',
    message: /'0' at character 1.*did you mean 'O'/,
  });
  t.throws(() => parsePeerId(id.slice(0, -1)), { code: 'E_USAGE', message: /has 35 characters.*36/ });
  t.throws(() => parsePeerId(''), { code: 'E_USAGE' });
});
