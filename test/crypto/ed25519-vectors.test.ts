// Which Ed25519 signatures verify (docs/identity.md#which-ed25519-signatures-verify), checked on
// the edge-case vectors of fixtures/ed25519/ (low-order and non-canonical points as the key A and as R): the
// verification gives, vector by vector, the documented verdict, and so do member keys once checked.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { verifySignature } from '../../src/crypto/ed25519.ts';
import { parseEd25519PublicKey } from '../../src/crypto/ed25519-public-key.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Vector {
  readonly number: number;
  readonly key: string;
  readonly sig: string;
  readonly msg: string;
  readonly flags: readonly string[] | null;
}

const vectors = JSON.parse(
  readFileSync(path.join(here, '../../fixtures/ed25519/ed25519vectors.json'), 'utf8'),
) as Vector[];
const flagged = (vector: Vector, ...flags: string[]): boolean =>
  flags.some((flag) => vector.flags?.includes(flag) ?? false);

/**
 * The documented accepted set: OpenSSL's RFC 8032 verification without the cofactor (as ref10, Go and
 * ed25519-dalek's `verify`): R must be canonically encoded and [s]B = R + [k]A must hold exactly.
 */
const verifies = (vector: Vector): boolean => !flagged(vector, 'non_canonical_R', 'low_order_residue');
/** And for a member key, which parseEd25519PublicKey checked first: no small-order or non-canonical A. */
const verifiesForMember = (vector: Vector): boolean =>
  verifies(vector) && !flagged(vector, 'low_order_A', 'non_canonical_A');

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const mismatches = (verdicts: readonly boolean[], rule: (vector: Vector) => boolean): number[] =>
  vectors.filter((vector, i) => verdicts[i] !== rule(vector)).map((vector) => vector.number);

t.test('the fixture holds the edge cases it should', async (t) => {
  t.equal(vectors.length, 914);
  t.ok(vectors.filter((vector) => verifies(vector)).length > 0, 'some verify');
  t.ok(vectors.filter((vector) => !verifies(vector)).length > 0, 'some do not');
});

t.test(
  'verifySignature (one at a time, node:crypto) gives the documented verdict on every vector',
  async (t) => {
    const verdicts = vectors.map((vector) =>
      verifySignature(bytes(vector.key), new TextEncoder().encode(vector.msg), bytes(vector.sig)),
    );
    t.same(mismatches(verdicts, verifies), [], 'no vector differs');
    t.comment(`${verdicts.filter(Boolean).length} of ${vectors.length} verify`);
  },
);

t.test(
  'with the key checked as a member key, small-order and non-canonical keys verify nothing',
  async (t) => {
    const verdicts = vectors.map((vector) => {
      try {
        parseEd25519PublicKey(bytes(vector.key));
      } catch {
        return false;
      }
      return verifySignature(bytes(vector.key), new TextEncoder().encode(vector.msg), bytes(vector.sig));
    });
    t.same(mismatches(verdicts, verifiesForMember), [], 'no vector differs');
    t.ok(verdicts.some(Boolean), 'signatures by large-order keys still verify');
  },
);
