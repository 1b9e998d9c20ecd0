// The age decryptor against C2SP's age test vectors (the cctv-age package), written by age's authors: every
// binary vector with an X25519 identity or a passphrase must end as its `expect` line says, with the same class
// of failure. Armored and post-quantum vectors do not apply (env-sync stores binary X25519 files only).

import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import * as vectors from 'cctv-age';
import t from 'tap';
import {
  AgeDecryptError,
  AgeNoMatchError,
  decryptAge,
  x25519Identity,
} from '../../src/crypto/age-decrypt.ts';
import { decodeAgeSecretKey } from '../../src/crypto/age-identity-file.ts';

interface Vector {
  readonly name: string;
  readonly expect: string;
  readonly payload: string | undefined;
  readonly identities: readonly string[];
  readonly passphrase: boolean;
  readonly armored: boolean;
  readonly file: Uint8Array;
}

/** A vector file: `key: value` lines, an empty line, then the age file (zlib-compressed if it says so). */
function parseVector(name: string, bytes: Uint8Array): Vector {
  const text = Buffer.from(bytes);
  const end = text.indexOf('\n\n');
  const fields = new Map<string, string[]>();
  for (const line of text.toString('utf8', 0, end).split('\n')) {
    const cut = line.indexOf(': ');
    fields.set(line.slice(0, cut), [...(fields.get(line.slice(0, cut)) ?? []), line.slice(cut + 2)]);
  }
  const body = text.subarray(end + 2);
  return {
    name,
    expect: fields.get('expect')![0]!,
    payload: fields.get('payload')?.[0],
    identities: fields.get('identity') ?? [],
    passphrase: fields.has('passphrase'),
    armored: fields.get('armored')?.[0] === 'yes',
    file: fields.get('compressed')?.[0] === 'zlib' ? inflateSync(body) : body,
  };
}

/** The outcome a vector's `expect` line means, in the decryptor's terms. */
const EXPECTED: Record<string, string> = {
  success: 'success',
  'no match': 'no match',
  'HMAC failure': 'hmac',
  'header failure': 'header',
  'payload failure': 'payload',
};

/** Stanza types in a file's header, in order (what decides a passphrase vector's expected outcome). */
function stanzaTypes(file: Uint8Array): string[] {
  const text = Buffer.from(file).toString('latin1');
  const header = text.slice(0, text.indexOf('\n---'));
  return header
    .split('\n')
    .filter((line) => line.startsWith('-> '))
    .map((line) => line.split(' ')[1] ?? '');
}

/** Passphrase vectors whose header fails before any stanza is read as scrypt: every stanza's body is parsed. */
const GENERIC_HEADER_FAILURES = new Set(['scrypt_not_canonical_body']);

/**
 * The outcome env-sync must reach. A passphrase (scrypt) file is not supported: alone in its header its stanza
 * is refused as `unsupported` (whatever its arguments, which only a passphrase decryptor reads); beside another
 * stanza, or twice, the header breaks age's rule that a scrypt stanza stands alone: `header`.
 */
function expectedOutcome(vector: Vector): string {
  const scrypt = stanzaTypes(vector.file).filter((type) => type === 'scrypt').length;
  if (scrypt === 0 || GENERIC_HEADER_FAILURES.has(vector.name)) return EXPECTED[vector.expect]!;
  return scrypt === 1 && stanzaTypes(vector.file).length === 1 ? 'unsupported' : 'header';
}

/** What decrypting gives: `success` with the payload's SHA-256, or the class of failure. */
function outcome(vector: Vector): { result: string; sha256?: string; message?: string } {
  // No X25519 identity (a passphrase vector, or one whose header is broken): any identity serves.
  const secrets = vector.identities.filter((identity) => identity.startsWith('AGE-SECRET-KEY-1'));
  const identities =
    secrets.length > 0
      ? secrets.map((secret) => x25519Identity(decodeAgeSecretKey(secret, vector.name)))
      : [x25519Identity(new Uint8Array(32).fill(1))];
  for (const identity of identities) {
    try {
      const plaintext = decryptAge(vector.file, identity);
      return { result: 'success', sha256: createHash('sha256').update(plaintext).digest('hex') };
    } catch (error) {
      if (error instanceof AgeNoMatchError) continue;
      if (error instanceof AgeDecryptError) return { result: error.failure, message: error.message };
      return { result: `unexpected ${(error as Error).name}`, message: (error as Error).message };
    }
  }
  return { result: 'no match' };
}

const all = Object.entries(vectors as Record<string, Uint8Array>).map(([name, bytes]) =>
  parseVector(name, bytes),
);
/** Only post-quantum identities: the file is for a hybrid key, which env-sync does not have. */
const postQuantumOnly = (vector: Vector): boolean =>
  vector.identities.length > 0 &&
  vector.identities.every((identity) => identity.startsWith('AGE-SECRET-KEY-PQ-'));
const applies = (vector: Vector): boolean => !vector.armored && !postQuantumOnly(vector);

t.test(
  'every binary X25519 and passphrase vector ends as age expects, with its class of failure',
  async (t) => {
    const run = all.filter(applies);
    t.ok(run.length >= 90, `${run.length} of ${all.length} vectors apply`);
    t.ok(
      run.some((vector) => GENERIC_HEADER_FAILURES.has(vector.name)),
      'the named exceptions are vectors',
    );
    const counts: Record<string, number> = {};
    for (const vector of run) {
      const expected = expectedOutcome(vector);
      const got = outcome(vector);
      counts[expected] = (counts[expected] ?? 0) + 1;
      t.equal(
        got.result,
        expected,
        `${vector.name}: ${expected}${got.message ? ` (got: ${got.message})` : ''}`,
      );
      if (expected === 'success') t.equal(got.sha256, vector.payload, `${vector.name}: the payload's hash`);
    }
    t.comment(`outcomes expected and reached: ${JSON.stringify(counts)}`);
  },
);

t.test('the vectors left out are only armored or post-quantum ones', async (t) => {
  const skipped = all.filter((vector) => !applies(vector));
  t.same(
    skipped.filter((vector) => !vector.armored && !postQuantumOnly(vector)),
    [],
    'nothing else is skipped',
  );
  t.comment(`not applicable: ${skipped.length} (${skipped.filter((v) => v.armored).length} armored)`);
});

t.test('a vector that must fail is never decrypted', async (t) => {
  // The same check, stated on its own: success is reached only where age expects it.
  const wrongly = all
    .filter(applies)
    .filter((vector) => expectedOutcome(vector) !== 'success' && outcome(vector).result === 'success');
  t.same(
    wrongly.map((vector) => vector.name),
    [],
  );
});
