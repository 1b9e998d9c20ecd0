// The CI credential's one-line format: what it holds, what it never prints, and how a damaged one is refused
// without echoing any of it.

import { inspect } from 'node:util';
import t from 'tap';
import { generateAgeKeyPair } from '../../src/crypto/age-identity-file.ts';
import { encodeCiCredential, parseCiCredential } from '../../src/crypto/ci-credential.ts';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { peerIdFromPublicKey } from '../../src/crypto/peer-id.ts';

const GROUP = 'ab'.repeat(32);

t.test('a credential parses back to its group, peer id and age key, and prints no key', async (t) => {
  const key = SigningKey.generate();
  const age = await generateAgeKeyPair();
  const line = encodeCiCredential(GROUP, key.publicKey, age.secretKey);
  t.match(line, /^env-sync-ci-1:[0-9a-f]{64}:[0-9a-f]{64}:AGE-SECRET-KEY-1[0-9A-Z]+$/);
  const credential = await parseCiCredential(`${line}\n`);
  t.equal(credential.group, GROUP);
  t.equal(credential.peerId, peerIdFromPublicKey(key.publicKey));
  t.equal(credential.ageRecipient, age.recipient);
  t.equal(credential.ageSecretKey(), age.secretKey);
  for (const shown of [JSON.stringify(credential), inspect(credential, { depth: 5 }), String(credential)]) {
    t.notOk(shown.includes(age.secretKey), 'the age secret key is not printed');
  }
});

t.test('a damaged credential is refused naming the variable, never quoting the text', async (t) => {
  const age = await generateAgeKeyPair();
  const good = encodeCiCredential(GROUP, SigningKey.generate().publicKey, age.secretKey);
  const secret = age.secretKey.slice(16);
  const damaged = [
    good.replace('env-sync-ci-1', 'env-sync-ci-2'),
    `${good}:extra`,
    good.replace(GROUP, GROUP.toUpperCase()),
    good.slice(0, -1),
    good.replace('AGE-SECRET-KEY-1', 'AGE-SECRET-KEY-2'),
  ];
  for (const text of damaged) {
    const error = await parseCiCredential(text).catch((e: Error) => e);
    t.match(error, { code: 'E_IDENTITY', message: /ENV_SYNC_IDENTITY/ });
    t.notOk((error as Error).message.includes(secret.slice(0, 12)), 'no part of the key in the message');
  }
});
