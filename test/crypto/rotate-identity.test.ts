import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { decryptWithIdentity, encryptToRecipients } from '../../src/crypto/age-envelope.ts';
import { createBackup, restoreBackup } from '../../src/crypto/backup.ts';
import { createIdentity } from '../../src/crypto/create-identity.ts';
import { identityFiles } from '../../src/crypto/identity-files.ts';
import { loadAgeDecryptionKey, loadIdentity } from '../../src/crypto/load-identity.ts';
import { parseRetiredAgeKeys } from '../../src/crypto/retired-age-keys.ts';
import {
  installRotation,
  rotationHome,
  stagedIdentity,
  stageRotation,
} from '../../src/crypto/rotate-identity.ts';
import { isEnvSyncError } from '../../src/errors.ts';
import { temporaryHome } from './helpers.ts';

const PLAINTEXT = new TextEncoder().encode('sealed before the rotation');

t.test('a rotation replaces every key and keeps the old ones that older data needs', async (t) => {
  const home = await temporaryHome(t);
  const old = await createIdentity(home, { name: 'alice@laptop' });
  const sealed = await encryptToRecipients(PLAINTEXT, [old.ageRecipient]);
  const next = await stageRotation(old);
  t.equal((await stageRotation(old)).peerId, next.peerId, 'staging again returns the staged identity');
  t.equal((await loadIdentity(home)).peerId, old.peerId, 'nothing in the home changes before installation');

  const installed = await installRotation(home, new Date('2026-05-01T10:00:00Z'));
  t.equal(installed.peerId, next.peerId);
  t.equal(installed.name, 'alice@laptop', 'the name stays');
  t.not(installed.ageRecipient, old.ageRecipient);
  t.not(installed.certificateFingerprint, old.certificateFingerprint);
  t.equal(await stagedIdentity(home), null, 'the staging directory is gone');
  await t.rejects(stat(rotationHome(home)), { code: 'ENOENT' });

  const files = identityFiles(home);
  for (const file of [
    files.retiredAgeKeys,
    files.retiredSigningKey,
    files.retiredTlsKey,
    files.retiredTlsCertificate,
  ]) {
    t.equal((await stat(file)).mode & 0o777, 0o600, `${file} is 0600`);
  }
  const retired = await parseRetiredAgeKeys(
    await readFile(files.retiredAgeKeys, 'utf8'),
    files.retiredAgeKeys,
  );
  t.same(
    retired.map((key) => [key.recipient, key.retiredAt]),
    [[old.ageRecipient, '2026-05-01T10:00:00Z']],
  );
  t.same(
    installed.retiredSigningKey?.publicKey,
    old.signingPublicKey,
    'the old signing key is kept to re-sign',
  );
  t.equal(installed.retiredTlsCredentials()?.cert, old.certificatePem, 'and the old certificate, to serve');

  t.same(
    await decryptWithIdentity(sealed, installed),
    PLAINTEXT,
    'the identity opens what was sealed to its old key',
  );
  t.same(
    await decryptWithIdentity(sealed, await loadAgeDecryptionKey(home)),
    PLAINTEXT,
    'so does the decryption-only load',
  );
  const foreign = await encryptToRecipients(PLAINTEXT, [
    (await createIdentity(await temporaryHome(t))).ageRecipient,
  ]);
  const notMine = await decryptWithIdentity(foreign, installed).catch((error: unknown) => error);
  t.ok(isEnvSyncError(notMine, 'E_NOT_RECIPIENT'), 'and nothing sealed to neither key');

  const twice = await installRotation(home, new Date()).catch((error: unknown) => error);
  t.ok(isEnvSyncError(twice, 'E_IDENTITY'), 'installing with nothing staged is refused');
});

t.test(
  'an installation cut short after the signing key was replaced is finished by installing again',
  async (t) => {
    const home = await temporaryHome(t);
    const old = await createIdentity(home);
    const sealed = await encryptToRecipients(PLAINTEXT, [old.ageRecipient]);
    const next = await stageRotation(old);
    const files = identityFiles(home);
    const staged = identityFiles(rotationHome(home));
    // What installRotation had written when it stopped: the kept keys, then the new signing key.
    await writeFile(files.retiredAgeKeys, `# retired: 2026-05-01T10:00:00Z\n${old.ageSecretKey()}\n`, {
      mode: 0o600,
    });
    await writeFile(files.retiredSigningKey, await readFile(files.signingKey), { mode: 0o600 });
    await writeFile(files.signingKey, await readFile(staged.signingKey), { mode: 0o600 });
    await t.rejects(
      loadIdentity(home),
      /does not match the key files/,
      'the half-installed home does not load',
    );

    const installed = await installRotation(home, new Date());
    t.equal(installed.peerId, next.peerId);
    t.same(
      installed.retiredSigningKey?.publicKey,
      old.signingPublicKey,
      'the old signing key is not overwritten',
    );
    t.same(await decryptWithIdentity(sealed, installed), PLAINTEXT);
    const retired = await parseRetiredAgeKeys(
      await readFile(files.retiredAgeKeys, 'utf8'),
      files.retiredAgeKeys,
    );
    t.equal(retired.length, 1, 'the old age key is kept once');
  },
);

t.test('a retired key without its retired line is refused, naming the file', async (t) => {
  const home = await temporaryHome(t);
  const identity = await createIdentity(home);
  await t.rejects(
    parseRetiredAgeKeys(`${identity.ageSecretKey()}\n`, '/home/age-retired.txt'),
    /'\/home\/age-retired.txt' has a key without its '# retired:' line/,
  );
});

t.test('a backup of a rotated identity carries the keys kept from before the rotation', async (t) => {
  const home = await temporaryHome(t);
  const old = await createIdentity(home);
  const sealed = await encryptToRecipients(PLAINTEXT, [old.ageRecipient]);
  await stageRotation(old);
  await installRotation(home, new Date());
  const passphrase = 'correct horse battery staple';
  const bytes = await createBackup({ home, repositoryDir: null, passphrase });
  const elsewhere = path.join(await temporaryHome(t), 'restored');
  const { identity } = await restoreBackup(bytes, { passphrase, home: elsewhere, repositoryDir: null });
  t.same(identity.retiredSigningKey?.publicKey, old.signingPublicKey);
  t.equal(identity.retiredTlsCredentials()?.cert, old.certificatePem);
  t.same(
    await decryptWithIdentity(sealed, identity),
    PLAINTEXT,
    'the restored identity opens the old snapshots',
  );
});
