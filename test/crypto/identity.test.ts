import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import t from 'tap';
import { createIdentity, loadOrCreateIdentity } from '../../src/crypto/create-identity.ts';
import { verifySignature } from '../../src/crypto/ed25519.ts';
import { identityPublicInfo, sign } from '../../src/crypto/identity.ts';
import { defaultIdentityHome } from '../../src/crypto/identity-home.ts';
import { loadAgeDecryptionKey, loadIdentity } from '../../src/crypto/load-identity.ts';
import { parsePeerId, peerIdFromPublicKey } from '../../src/crypto/peer-id.ts';
import { isEnvSyncError } from '../../src/errors.ts';
import { assertNoSecrets, secretFragments, temporaryHome } from './helpers.ts';

const FILES = ['age-identity.txt', 'identity.json', 'signing.key', 'tls.crt', 'tls.key'];

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

t.test('createIdentity writes a 0700 directory of 0600 files, and nothing else', async (t) => {
  const home = await temporaryHome(t);
  const identity = await createIdentity(home, { name: 'alice@laptop' });
  t.equal(await mode(home), 0o700);
  t.same((await readdir(home)).sort(), FILES, 'no temp or lock files left behind');
  for (const file of FILES) t.equal(await mode(join(home, file)), 0o600, `${file} is 0600`);
  t.equal(identity.name, 'alice@laptop');
  t.equal(identity.peerId, peerIdFromPublicKey(identity.signingPublicKey));
});

t.test('modes are exact whatever the umask', async (t) => {
  const home = await temporaryHome(t);
  const previous = process.umask(0o277); // would make the directory 0500 and the files 0400
  t.teardown(() => {
    process.umask(previous);
  });
  await createIdentity(home);
  t.equal(await mode(home), 0o700);
  for (const file of FILES) t.equal(await mode(join(home, file)), 0o600, `${file} is 0600`);
});

function lockLine(pid: number): string {
  return `env-sync lock pid=${pid} host=${hostname()} started=1700000000 token=0123abcd\n`;
}

t.test('a lock left by a killed identity init is taken over, so the next init needs no repair', async (t) => {
  const home = await temporaryHome(t);
  const gone = spawnSync(process.execPath, ['-e', '0']).pid;
  await mkdir(home, { mode: 0o700 });
  await writeFile(join(home, 'identity.lock'), lockLine(gone));
  const identity = await createIdentity(home);
  t.equal((await loadIdentity(home)).peerId, identity.peerId);
  t.same((await readdir(home)).sort(), FILES, 'the stale lock is gone');
});

t.test('a live identity init is waited for, then the identity is created once', async (t) => {
  const home = await temporaryHome(t);
  const lock = join(home, 'identity.lock');
  await mkdir(home, { mode: 0o700 });
  await writeFile(lock, lockLine(process.pid));
  const waiting = loadOrCreateIdentity(home);
  await sleep(300);
  // A waiter's try at the lock makes and removes a temp file of its own (identity.lock.tmp-…): not identity data.
  const written = (await readdir(home)).filter((name) => !name.startsWith('identity.lock.tmp-'));
  t.same(written, ['identity.lock'], 'nothing is written while the lock is held');
  await rm(lock);
  const identity = await waiting;
  t.equal((await loadIdentity(home)).peerId, identity.peerId);
  t.same((await readdir(home)).sort(), FILES, 'the waiter created the identity and released the lock');
});

t.test('the key files are in the standard formats other tools read', async (t) => {
  const home = await temporaryHome(t);
  const identity = await createIdentity(home);
  const age = await readFile(identity.files.ageIdentityFile, 'utf8');
  t.match(
    age,
    /^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n# public key: age1[a-z0-9]{58}\nAGE-SECRET-KEY-1[A-Z0-9]{58}\n$/,
  );
  t.ok(age.includes(`# public key: ${identity.ageRecipient}\n`));
  t.match(
    await readFile(identity.files.signingKey, 'utf8'),
    /^-----BEGIN PRIVATE KEY-----\n.{64}\n-----END PRIVATE KEY-----\n$/,
  );
  t.match(await readFile(identity.files.tlsKey, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  t.match(
    await readFile(identity.files.tlsCertificate, 'utf8'),
    /^-----BEGIN CERTIFICATE-----\n[^\r]*-----END CERTIFICATE-----\n$/,
  );
  const metadata = JSON.parse(await readFile(identity.files.metadata, 'utf8'));
  t.same(Object.keys(metadata), [
    'version',
    'name',
    'createdAt',
    'peerId',
    'signingPublicKey',
    'ageRecipient',
    'certificateFingerprint',
  ]);
});

t.test('loadIdentity gives back the identity createIdentity made', async (t) => {
  const home = await temporaryHome(t);
  const created = await createIdentity(home, { name: 'bob@desk' });
  const loaded = await loadIdentity(home);
  t.same(identityPublicInfo(loaded), identityPublicInfo(created));
  t.equal(loaded.ageSecretKey(), created.ageSecretKey());
  t.same(loaded.tlsCredentials(), created.tlsCredentials());
  const message = new TextEncoder().encode('event bytes');
  t.ok(verifySignature(created.signingPublicKey, message, sign(loaded, message)), 'signs with the same key');
});

t.test('loadAgeDecryptionKey reads only the age key, with the same checks', async (t) => {
  const home = await temporaryHome(t);
  const created = await createIdentity(home);
  await writeFile(join(home, 'tls.key'), 'not a key\n', { mode: 0o600 });
  const key = await loadAgeDecryptionKey(home);
  t.equal(key.ageSecretKey(), created.ageSecretKey(), 'the TLS key is not parsed to decrypt');
  t.equal(key.ageRecipient, created.ageRecipient);
  t.equal(key.peerId, created.peerId);
  t.notMatch(inspect(key) + JSON.stringify(key), created.ageSecretKey(), 'the secret key does not print');
  await t.rejects(loadIdentity(home), { code: 'E_IDENTITY', message: /tls\.key.* is not a PEM private key/ });

  const other = await temporaryHome(t);
  await createIdentity(other);
  await writeFile(join(home, 'age-identity.txt'), await readFile(join(other, 'age-identity.txt')));
  await t.rejects(loadAgeDecryptionKey(home), {
    code: 'E_IDENTITY',
    message: /does not match the key files.*ageRecipient differs/,
  });
  await chmod(join(home, 'age-identity.txt'), 0o644);
  await t.rejects(loadAgeDecryptionKey(home), { code: 'E_KEY_PERMISSIONS', message: /chmod 600/ });
  await t.rejects(loadAgeDecryptionKey(join(home, 'missing')), {
    code: 'E_IDENTITY',
    message: /no identity in/,
  });
});

t.test('identityPublicInfo is JSON with public values only', async (t) => {
  const home = await temporaryHome(t);
  const identity = await createIdentity(home, { name: 'carol@ci' });
  const info = JSON.parse(JSON.stringify(identityPublicInfo(identity)));
  t.equal(parsePeerId(info.peerId), identity.peerId);
  t.equal(info.name, 'carol@ci');
  t.match(info.signingPublicKey, /^[0-9a-f]{64}$/);
  t.match(info.ageRecipient, /^age1[a-z0-9]{58}$/);
  t.match(info.certificateFingerprint, /^[0-9a-f]{64}$/);
  t.equal(info.ageIdentityFile, join(home, 'age-identity.txt'));
  t.same(info.files, {
    metadata: join(home, 'identity.json'),
    signingKey: join(home, 'signing.key'),
    retiredSigningKey: join(home, 'signing-retired.key'),
    ageIdentityFile: join(home, 'age-identity.txt'),
    retiredAgeKeys: join(home, 'age-retired.txt'),
    tlsKey: join(home, 'tls.key'),
    retiredTlsKey: join(home, 'tls-retired.key'),
    retiredTlsCertificate: join(home, 'tls-retired.crt'),
    tlsCertificate: join(home, 'tls.crt'),
  });
  const secrets = await secretFragments(identity);
  assertNoSecrets(t, JSON.stringify(info), secrets, 'the public info');
  assertNoSecrets(t, JSON.stringify(identity), secrets, 'JSON.stringify(identity)');
  assertNoSecrets(t, inspect(identity, { depth: 10, showHidden: true }), secrets, 'util.inspect(identity)');
});

for (const file of ['signing.key', 'age-identity.txt', 'tls.key', 'identity.json', 'tls.crt']) {
  const secret = file.endsWith('.key') || file === 'age-identity.txt';
  t.test(
    `loadIdentity refuses ${file} when others can ${secret ? 'read' : 'write'} it, saying how to fix it`,
    async (t) => {
      const home = await temporaryHome(t);
      const identity = await createIdentity(home);
      const path = join(home, file);
      const loose = secret ? 0o644 : 0o664;
      await chmod(path, loose);
      const error = await loadIdentity(home).catch((e: unknown) => e);
      t.ok(isEnvSyncError(error, 'E_KEY_PERMISSIONS'), 'E_KEY_PERMISSIONS');
      t.equal(
        (error as Error).message,
        `permissions 0${loose.toString(8)} for '${path}' are too open; run chmod 600 '${path}'`,
      );
      assertNoSecrets(t, (error as Error).message, await secretFragments(identity), 'the message');
      await chmod(path, 0o600);
      t.equal((await loadIdentity(home)).peerId, identity.peerId, 'loads once fixed');
    },
  );
}

t.test('a world-readable certificate or identity.json is fine: they hold no secret', async (t) => {
  const home = await temporaryHome(t);
  const identity = await createIdentity(home);
  await chmod(identity.files.tlsCertificate, 0o644);
  await chmod(identity.files.metadata, 0o644);
  t.equal((await loadIdentity(home)).peerId, identity.peerId);
});

t.test('a home directory others can enter is refused with chmod 700', async (t) => {
  const home = await temporaryHome(t);
  await createIdentity(home);
  await chmod(home, 0o755);
  await t.rejects(loadIdentity(home), {
    code: 'E_KEY_PERMISSIONS',
    message: `permissions 0755 for '${home}' are too open; run chmod 700 '${home}'`,
  });
  await t.rejects(createIdentity(home), { code: 'E_KEY_PERMISSIONS' }, 'and nothing is created in it');
});

t.test('a missing identity says how to create one', async (t) => {
  const home = await temporaryHome(t);
  await t.rejects(loadIdentity(home), {
    code: 'E_IDENTITY',
    message: /no identity in '.*'; run `env-sync identity init`/,
  });
  await createIdentity(home);
  await rm(join(home, 'identity.json'));
  await t.rejects(loadIdentity(home), { code: 'E_IDENTITY', message: /no identity in/ });
});

t.test('a missing key file is reported by name', async (t) => {
  const home = await temporaryHome(t);
  await createIdentity(home);
  await rm(join(home, 'tls.key'));
  await t.rejects(loadIdentity(home), { code: 'E_IDENTITY', message: /incomplete: '.*tls\.key' is missing/ });
});

t.test('createIdentity never overwrites keys', async (t) => {
  const home = await temporaryHome(t);
  await createIdentity(home);
  const before = await Promise.all(FILES.map((f) => readFile(join(home, f))));
  await t.rejects(createIdentity(home), { code: 'E_IDENTITY', message: /already exists/ });
  t.same(await Promise.all(FILES.map((f) => readFile(join(home, f)))), before, 'files unchanged');
  await rm(join(home, 'identity.json'));
  await t.rejects(createIdentity(home), { code: 'E_IDENTITY', message: /interrupted identity init/ });
  t.same(await readFile(join(home, 'signing.key')), before[2], 'a half-made identity is not replaced either');
});

t.test('key files that do not belong together are refused', async (t) => {
  const home = await temporaryHome(t);
  const other = await temporaryHome(t);
  await createIdentity(home);
  await createIdentity(other);
  await writeFile(join(home, 'age-identity.txt'), await readFile(join(other, 'age-identity.txt')));
  await t.rejects(loadIdentity(home), {
    code: 'E_IDENTITY',
    message: /does not match the key files.*ageRecipient differs/,
  });
});

t.test('a damaged key file is refused without quoting it', async (t) => {
  const home = await temporaryHome(t);
  const identity = await createIdentity(home);
  const secrets = await secretFragments(identity);
  const original = await readFile(identity.files.ageIdentityFile, 'utf8');
  const key = identity.ageSecretKey();
  const damaged = [
    original.replace(key, `${key.slice(0, 30)}${key[30] === 'Q' ? 'P' : 'Q'}${key.slice(31)}`),
    original.replace(key, key.slice(0, -3)),
    original.replace(key, `${key}\n${key}`),
    original.replace('# public key: age1', '# public key: age1q'),
  ];
  for (const text of damaged) {
    await writeFile(identity.files.ageIdentityFile, text);
    const error = await loadIdentity(home).catch((e: unknown) => e);
    t.ok(isEnvSyncError(error, 'E_IDENTITY'), (error as Error).message);
    t.notMatch((error as Error).message, /\n/, 'one line');
    assertNoSecrets(t, (error as Error).message, secrets, 'the message');
  }
  await writeFile(identity.files.ageIdentityFile, original);
  const signing = await readFile(identity.files.signingKey, 'utf8');
  await writeFile(identity.files.signingKey, signing.replace('MC4C', 'MC5C'));
  const error = await loadIdentity(home).catch((e: unknown) => e);
  t.match(error, { code: 'E_IDENTITY', message: /signing\.key' is not an Ed25519 private key/ });
  assertNoSecrets(t, (error as Error).message, secrets, 'the message');
});

t.test('loadOrCreateIdentity creates once, even when processes race', async (t) => {
  const home = await temporaryHome(t);
  const identities = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateIdentity(home)));
  t.equal(new Set(identities.map((i) => i.peerId)).size, 1, 'one identity');
  t.same((await readdir(home)).sort(), FILES, 'lock removed');
  t.equal((await loadOrCreateIdentity(home)).peerId, identities[0]!.peerId, 'later calls load it');
});

t.test('an invalid name is refused before anything is written', async (t) => {
  const home = await temporaryHome(t);
  await t.rejects(createIdentity(home, { name: 'two\nlines' }), { code: 'E_USAGE' });
  await t.rejects(stat(home), { code: 'ENOENT' });
});

t.test('defaultIdentityHome follows ENV_SYNC_HOME, then XDG_CONFIG_HOME, then ~/.config', async (t) => {
  t.equal(defaultIdentityHome({ ENV_SYNC_HOME: '/srv/keys', XDG_CONFIG_HOME: '/x' }, '/home/u'), '/srv/keys');
  t.equal(defaultIdentityHome({ XDG_CONFIG_HOME: '/x/config' }, '/home/u'), '/x/config/env-sync');
  t.equal(defaultIdentityHome({ XDG_CONFIG_HOME: 'relative' }, '/home/u'), '/home/u/.config/env-sync');
  t.equal(
    defaultIdentityHome({ ENV_SYNC_HOME: '', XDG_CONFIG_HOME: '' }, '/home/u'),
    '/home/u/.config/env-sync',
  );
  t.equal(defaultIdentityHome({}, '/home/u'), '/home/u/.config/env-sync');
});
