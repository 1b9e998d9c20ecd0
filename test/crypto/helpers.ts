// Shared by the crypto tests: temporary homes, and a check that no secret of an identity leaks into text.

import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { Identity } from '../../src/crypto/identity.ts';

/** A fresh directory removed after the test; the identity home inside it does not exist yet. */
export async function temporaryHome(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'env-sync-crypto-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'home');
}

/** Substrings that would betray each secret key of `identity` if they appeared in some text. */
export async function secretFragments(identity: Identity): Promise<string[]> {
  const tlsKey = await readFile(identity.files.tlsKey, 'utf8');
  const signingPem = await readFile(identity.files.signingKey, 'utf8');
  const seedBase64 = signingPem.split('\n')[1]!.slice(21); // after the PKCS#8 prefix
  const ageSecret = identity.ageSecretKey();
  return [
    ageSecret,
    ageSecret.slice(16, 40),
    ageSecret.slice(16, 40).toLowerCase(),
    seedBase64.slice(0, 24),
    ...tlsKey
      .split('\n')
      .filter((line) => line.length === 64)
      .slice(1, 4),
  ];
}

export function assertNoSecrets(t: Test, text: string, fragments: readonly string[], what: string): void {
  const leaked = fragments.filter((fragment) => text.includes(fragment));
  t.same(leaked, [], `${what} contains no secret key material`);
}

/** The error a promise rejects with; fails the test run if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/**
 * True when the `age` CLI can run. When it cannot, the test passes with a note, except in CI (CI=true), where
 * it fails: CI must run the interop tests.
 */
export function ageCliAvailable(t: Test): boolean {
  const probe = spawnSync('age', ['--version']);
  if (probe.error === undefined && probe.status === 0) return true;
  if (process.env.CI === 'true')
    t.fail('the `age` CLI is not installed, and CI must run this: apt-get install -y age');
  else t.pass('skipped: the `age` CLI is not installed (apt-get install -y age)');
  return false;
}
