// The node:crypto age encryptor behind encryptToRecipients: what it writes, typage's Decrypter and the
// reference `age` CLI read (in CI a missing `age` fails; elsewhere that test is skipped with a note), for
// every size around the 64 KiB chunk boundaries and 1–3 recipients; every file is new (fresh keys, nonces).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Decrypter } from 'age-encryption';
import t from 'tap';
import { AgeEncryptError, encryptAge } from '../../src/crypto/age-encrypt.ts';
import { encryptToRecipients } from '../../src/crypto/age-envelope.ts';
import { encodeAgeRecipient } from '../../src/crypto/age-recipient.ts';
import { isEnvSyncError } from '../../src/errors.ts';
import { ageKey, assertRoundTrips, bytesOf, CHUNK } from './age-round-trip.ts';
import { ageCliAvailable } from './helpers.ts';

t.test("typage's Decrypter reads what it writes, for 1–3 recipients and any size", async (t) => {
  await assertRoundTrips(
    encryptToRecipients,
    async (file, secret) => {
      const decrypter = new Decrypter();
      decrypter.addIdentity(secret);
      return decrypter.decrypt(file);
    },
    40,
  );
  const [one, two] = [await ageKey(), await ageKey()];
  const file = await encryptToRecipients(bytesOf(10, 1), [one.recipient, two.recipient, one.recipient]);
  const stanzas = Buffer.from(file)
    .toString('latin1')
    .split('\n')
    .filter((line) => line.startsWith('-> X25519 '));
  t.equal(stanzas.length, 2, 'one stanza per distinct recipient');
});

t.test('`age -d` decrypts it across the chunk boundaries', async (t) => {
  if (!ageCliAvailable(t)) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'env-sync-age-encrypt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [key, other] = [await ageKey(), await ageKey()];
  const identityFile = path.join(dir, 'key.txt');
  writeFileSync(identityFile, `${key.secret}\n`, { mode: 0o600 });
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17]) {
    const plaintext = bytesOf(size, 0x9e3779b9);
    const file = await encryptToRecipients(plaintext, [other.recipient, key.recipient]);
    const result = spawnSync('age', ['-d', '-i', identityFile], { input: file });
    t.equal(result.status, 0, result.stderr.toString());
    t.ok(Buffer.from(result.stdout).equals(Buffer.from(plaintext)), `${size} bytes`);
  }
});

t.test('two encryptions of the same plaintext share no key or nonce', async (t) => {
  const key = await ageKey();
  const plaintext = bytesOf(1000, 7);
  const [a, b] = [
    await encryptToRecipients(plaintext, [key.recipient]),
    await encryptToRecipients(plaintext, [key.recipient]),
  ];
  const header = (file: Uint8Array) => Buffer.from(file).toString('latin1').split('\n').slice(1, 3);
  t.not(header(a)[0], header(b)[0], 'a fresh ephemeral share per file');
  t.not(header(a)[1], header(b)[1], 'a fresh wrapped file key per file');
  t.notOk(Buffer.from(a).subarray(-1016).equals(Buffer.from(b).subarray(-1016)), 'a fresh payload');
});

t.test('a recipient that is a low-order point is refused, not used', async (t) => {
  // All zeros is a valid 32-byte bech32 payload but a point of order 1: every shared secret would be zero.
  const lowOrder = encodeAgeRecipient(new Uint8Array(32));
  const error = await encryptToRecipients(new Uint8Array(8), [lowOrder]).catch((e: unknown) => e);
  t.ok(isEnvSyncError(error, 'E_RECIPIENT_INVALID'), 'E_RECIPIENT_INVALID');
  t.match((error as Error).message, new RegExp(`'${lowOrder}': it is a low-order X25519 point`));
});

t.test('the encryptor itself refuses a low-order key and says which recipient it was', async (t) => {
  const good = new Uint8Array(32).fill(9);
  const error = (() => {
    try {
      encryptAge(new Uint8Array(8), [good, new Uint8Array(32)]);
    } catch (e) {
      return e;
    }
  })();
  t.ok(error instanceof AgeEncryptError, 'an AgeEncryptError');
  t.equal((error as AgeEncryptError).index, 1, 'the second recipient');
});
