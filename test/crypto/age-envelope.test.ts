import { inspect } from 'node:util';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import fc from 'fast-check';
import t from 'tap';
import {
  decryptWithIdentity,
  encryptToRecipients,
  NotRecipientError,
} from '../../src/crypto/age-envelope.ts';
import { RecipientInvalidError } from '../../src/crypto/age-recipient.ts';
import { createIdentity } from '../../src/crypto/create-identity.ts';
import { isEnvSyncError } from '../../src/errors.ts';
import { assertNoSecrets, failure, secretFragments, temporaryHome } from './helpers.ts';

const text = (s: string) => new TextEncoder().encode(s);
const PLAINTEXT = text('DATABASE_URL=postgres://u:hunter2@db/app\nAPI_TOKEN=tok_live_5f3a9c\n');
const PLAIN_SECRETS = ['hunter2', 'tok_live_5f3a9c'];

async function ageKey(): Promise<{ secret: string; recipient: string }> {
  const secret = await generateX25519Identity();
  return { secret, recipient: await identityToRecipient(secret) };
}

function headerLength(ciphertext: Uint8Array): number {
  const text = Buffer.from(ciphertext).toString('latin1');
  return text.indexOf('\n', text.indexOf('\n--- ') + 1) + 1;
}

t.test('encrypts to several recipients; each decrypts; output is one standard binary age file', async (t) => {
  const [a, b] = [await ageKey(), await ageKey()];
  const ciphertext = await encryptToRecipients(PLAINTEXT, [a.recipient, b.recipient, a.recipient]);
  const header = Buffer.from(ciphertext.subarray(0, headerLength(ciphertext))).toString('latin1');
  t.match(header, /^age-encryption\.org\/v1\n/);
  t.equal(header.match(/^-> X25519 /gm)?.length, 2, 'one stanza per distinct recipient');
  t.same(await decryptWithIdentity(ciphertext, a.secret), PLAINTEXT);
  t.same(await decryptWithIdentity(ciphertext, b.secret), PLAINTEXT);
});

t.test('round-trips any bytes, across the 64 KiB chunk boundaries', async (t) => {
  const key = await ageKey();
  for (const size of [0, 1, 65535, 65536, 65537, 3 * 65536]) {
    const plaintext = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
    t.same(
      await decryptWithIdentity(await encryptToRecipients(plaintext, [key.recipient]), key.secret),
      plaintext,
      `${size} bytes`,
    );
  }
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (plaintext) => {
      const back = await decryptWithIdentity(
        await encryptToRecipients(plaintext, [key.recipient]),
        key.secret,
      );
      return Buffer.from(back).equals(Buffer.from(plaintext));
    }),
    { numRuns: 50 },
  );
});

t.test('a wrong identity is E_NOT_RECIPIENT, naming the subject and the peer', async (t) => {
  const home = await temporaryHome(t);
  const identity = await createIdentity(home);
  const [a, b] = [await ageKey(), await ageKey()];
  const ciphertext = await encryptToRecipients(PLAINTEXT, [a.recipient, b.recipient]);
  const error = await failure(decryptWithIdentity(ciphertext, identity, { subject: 'snapshot 3fa2c1d' }));
  t.ok(error instanceof NotRecipientError && isEnvSyncError(error, 'E_NOT_RECIPIENT'));
  t.match(error, {
    subject: 'snapshot 3fa2c1d',
    recipientCount: 2,
    peerId: identity.peerId,
    ageRecipient: identity.ageRecipient,
  });
  t.equal(
    error.message,
    `snapshot 3fa2c1d is not encrypted to this peer (${identity.peerId}): none of its 2 recipients matches; ` +
      'ask a peer that can read it to re-encrypt it to you',
  );
  assertNoSecrets(t, error.message, [...(await secretFragments(identity)), ...PLAIN_SECRETS], 'the message');
  const bare = await failure(decryptWithIdentity(ciphertext, (await ageKey()).secret));
  t.match(bare, {
    code: 'E_NOT_RECIPIENT',
    message: /^the age file is not encrypted to this identity \(age1[a-z0-9]+\)/,
  });
});

t.test('a flipped byte in the payload is E_DECRYPT: modified or truncated', async (t) => {
  const key = await ageKey();
  const ciphertext = await encryptToRecipients(PLAINTEXT, [key.recipient]);
  const start = headerLength(ciphertext);
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: start, max: ciphertext.length - 1 }),
      fc.integer({ min: 1, max: 255 }),
      async (i, x) => {
        const tampered = Uint8Array.from(ciphertext);
        tampered[i]! ^= x;
        const error = await failure(decryptWithIdentity(tampered, key.secret));
        return isEnvSyncError(error, 'E_DECRYPT') && /payload was modified or truncated/.test(error.message);
      },
    ),
    { numRuns: 100 },
  );
  t.pass('every flip refused');
});

t.test('a flipped byte anywhere is refused, never decrypted', async (t) => {
  const key = await ageKey();
  const ciphertext = await encryptToRecipients(PLAINTEXT, [key.recipient]);
  const messages = new Set<string>();
  for (let i = 0; i < ciphertext.length; i++) {
    const tampered = Uint8Array.from(ciphertext);
    tampered[i]! ^= 0x01;
    const error = await failure(decryptWithIdentity(tampered, key.secret));
    if (!isEnvSyncError(error, 'E_DECRYPT') && !isEnvSyncError(error, 'E_NOT_RECIPIENT')) {
      t.fail(`byte ${i}: ${error.message}`);
    }
    t.notMatch(error.message, /\n/, 'one line');
    messages.add(error.message.replace(/\(age1[a-z0-9]+\)/, '(…)'));
  }
  t.ok(messages.has('cannot decrypt the age file: its header was modified (the header MAC does not match)'));
  for (const message of messages) assertNoSecrets(t, message, [key.secret, ...PLAIN_SECRETS], message);
});

t.test('a truncated header or payload is E_DECRYPT', async (t) => {
  const key = await ageKey();
  const ciphertext = await encryptToRecipients(PLAINTEXT, [key.recipient]);
  const header = headerLength(ciphertext);
  for (const cut of [0, 10, 25, 40, header - 20, header - 1]) {
    const error = await failure(decryptWithIdentity(ciphertext.subarray(0, cut), key.secret));
    t.match(error, { code: 'E_DECRYPT' }, `cut at ${cut}: ${error.message}`);
  }
  t.match(await failure(decryptWithIdentity(ciphertext.subarray(0, 40), key.secret)), {
    message: /its header is malformed or truncated/,
  });
  t.match(await failure(decryptWithIdentity(ciphertext.subarray(0, header + 8), key.secret)), {
    message: /truncated/,
  });
  t.match(await failure(decryptWithIdentity(ciphertext.subarray(0, ciphertext.length - 1), key.secret)), {
    message: /payload was modified or truncated/,
  });
});

t.test('a final chunk cut short or left empty is E_DECRYPT, never a RangeError', async (t) => {
  const key = await ageKey();
  const chunk = 64 * 1024;
  const ciphertext = await encryptToRecipients(new Uint8Array(chunk + 100), [key.recipient]);
  const payload = headerLength(ciphertext) + 16;
  // Cuts inside the second chunk's tag and right after the first chunk (which leaves no final chunk).
  const cuts = [1, 5, 15, 16, 17, 30].map((n) => payload + chunk + n);
  for (const cut of [...cuts, payload + chunk + 16 + 16]) {
    const error = await failure(decryptWithIdentity(ciphertext.subarray(0, cut), key.secret));
    t.match(error, { code: 'E_DECRYPT', message: /payload was modified or truncated/ }, `cut at ${cut}`);
  }
  // A full first chunk followed by an empty final chunk: only an empty file may end that way.
  const empty = await failure(
    decryptWithIdentity(
      Buffer.concat([ciphertext.subarray(0, payload + chunk + 16), new Uint8Array(16)]),
      key.secret,
    ),
  );
  t.match(empty, { code: 'E_DECRYPT', message: /final chunk is empty/ });
});

t.test('a plaintext file is "not an age file", and its content stays out of the message', async (t) => {
  const key = await ageKey();
  const error = await failure(decryptWithIdentity(PLAINTEXT, key.secret, { subject: 'snapshot 9e1' }));
  t.match(error, {
    code: 'E_DECRYPT',
    message: "cannot decrypt snapshot 9e1: it is not an age file (no 'age-encryption.org/v1' line)",
  });
  assertNoSecrets(t, error.message, ['DATABASE_URL', ...PLAIN_SECRETS], 'the message');
  assertNoSecrets(t, inspect(error, { depth: 10 }), PLAIN_SECRETS, 'the error with its stack and causes');
});

t.test('a damaged identity string is E_IDENTITY and is not quoted', async (t) => {
  const key = await ageKey();
  const ciphertext = await encryptToRecipients(PLAINTEXT, [key.recipient]);
  for (const bad of [
    key.secret.slice(0, -1),
    key.secret.toLowerCase().replace('age-secret-key-1', 'AGE-SECRET-KEY-1'),
    'hunter2',
  ]) {
    const error = await failure(decryptWithIdentity(ciphertext, bad));
    t.match(error, { code: 'E_IDENTITY' });
    assertNoSecrets(t, error.message, [bad, key.secret.slice(16, 40)], error.message);
  }
});

t.test('encryptToRecipients refuses an empty list, and names an invalid recipient', async (t) => {
  const { recipient } = await ageKey();
  const typo = recipient.slice(0, 20) + (recipient[20] === 'q' ? 'p' : 'q') + recipient.slice(21);
  await t.rejects(encryptToRecipients(PLAINTEXT, []), { code: 'E_USAGE', message: /empty recipient list/ });
  const error = await encryptToRecipients(PLAINTEXT, [recipient, typo]).catch((e: unknown) => e);
  t.ok(error instanceof RecipientInvalidError, 'a RecipientInvalidError');
  t.match(error, { code: 'E_RECIPIENT_INVALID', recipient: typo, message: /checksum does not match/ });
  t.ok((error as Error).message.includes(typo), 'the message quotes the public recipient');
});
