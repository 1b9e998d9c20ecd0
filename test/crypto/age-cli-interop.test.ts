// Interop with the reference `age` CLI (Debian package `age`): what we encrypt it decrypts, and back.
// In CI (CI=true) a missing `age` binary fails this file; elsewhere the tests are skipped with a note.

import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import t from 'tap';
import { decryptWithIdentity, encryptToRecipients } from '../../src/crypto/age-envelope.ts';
import { createIdentity } from '../../src/crypto/create-identity.ts';
import { temporaryHome } from './helpers.ts';

const PLAINTEXT = new TextEncoder().encode('DATABASE_URL=postgres://u:p@db/app\nEMPTY=\nMULTI="a\nb"\n');

function run(command: string, args: string[], input?: Uint8Array) {
  const result = spawnSync(command, args, { input });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr?.toString() ?? '',
    error: result.error,
  };
}

const probe = run('age', ['--version']);
const ageMissing = probe.error !== undefined || probe.status !== 0;
if (ageMissing) {
  if (process.env.CI === 'true') {
    t.fail('the `age` CLI is not installed, and CI must run the interop tests: apt-get install -y age');
  } else {
    t.comment('skipping age CLI interop: `age` is not installed (apt-get install -y age); CI fails instead');
  }
}
// In CI nothing is skipped: the tests below run, and fail, too.
const skip = ageMissing && process.env.CI !== 'true' ? 'the age CLI is not installed' : false;

t.test('age -d -i <ageIdentityFile> decrypts what encryptToRecipients wrote', { skip }, async (t) => {
  const home = await temporaryHome(t);
  const identity = await createIdentity(home);
  const other = await createIdentity(`${home}-other`);
  const ciphertext = await encryptToRecipients(PLAINTEXT, [other.ageRecipient, identity.ageRecipient]);
  const file = join(dirname(home), 'snapshot.age');
  await writeFile(file, ciphertext);
  const result = run('age', ['-d', '-i', identity.files.ageIdentityFile, file]);
  t.equal(result.status, 0, result.stderr);
  t.same(new Uint8Array(result.stdout), PLAINTEXT);
  t.equal(run('age', ['-d', '-i', other.files.ageIdentityFile, file]).status, 0, 'every recipient can');
});

t.test('decryptWithIdentity decrypts what `age -r <ageRecipient>` wrote', { skip }, async (t) => {
  const home = await temporaryHome(t);
  const identity = await createIdentity(home);
  const result = run('age', ['-r', identity.ageRecipient], PLAINTEXT);
  t.equal(result.status, 0, result.stderr);
  t.same(await decryptWithIdentity(new Uint8Array(result.stdout), identity), PLAINTEXT);
  const large = new Uint8Array(200_000).map((_, i) => i % 251);
  const big = run('age', ['-r', identity.ageRecipient], large);
  t.same(await decryptWithIdentity(new Uint8Array(big.stdout), identity), large, 'several 64 KiB chunks');
});

t.test('age-keygen -y reads our identity file and derives the same recipient', { skip }, async (t) => {
  const home = await temporaryHome(t);
  const identity = await createIdentity(home);
  const result = run('age-keygen', ['-y', identity.files.ageIdentityFile]);
  t.equal(result.status, 0, result.stderr);
  t.equal(result.stdout.toString().trim(), identity.ageRecipient);
});

t.test(
  'the age CLI also refuses our ciphertext once tampered or sent to someone else',
  { skip },
  async (t) => {
    const home = await temporaryHome(t);
    const identity = await createIdentity(home);
    const stranger = await createIdentity(`${home}-stranger`);
    const file = join(dirname(home), 'snapshot.age');
    const ciphertext = await encryptToRecipients(PLAINTEXT, [identity.ageRecipient]);
    ciphertext[ciphertext.length - 5]! ^= 0x40;
    await writeFile(file, ciphertext);
    t.not(run('age', ['-d', '-i', identity.files.ageIdentityFile, file]).status, 0, 'tampered');
    await t.rejects(decryptWithIdentity(await readFile(file), identity), { code: 'E_DECRYPT' });
    ciphertext[ciphertext.length - 5]! ^= 0x40;
    await writeFile(file, ciphertext);
    t.not(run('age', ['-d', '-i', stranger.files.ageIdentityFile, file]).status, 0, 'not a recipient');
    await t.rejects(decryptWithIdentity(ciphertext, stranger), { code: 'E_NOT_RECIPIENT' });
  },
);
