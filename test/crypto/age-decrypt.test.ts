// The node:crypto age decryptor behind decryptWithIdentity: it reads what typage's Encrypter and the
// reference `age` CLI write, and refuses every flipped byte and truncation.
// In CI (CI=true) a missing `age` binary fails the CLI test; elsewhere it is skipped with a note.

import { spawnSync } from 'node:child_process';
import { Encrypter } from 'age-encryption';
import fc from 'fast-check';
import t from 'tap';
import { decryptWithIdentity } from '../../src/crypto/age-envelope.ts';
import { isEnvSyncError } from '../../src/errors.ts';
import { ageKey, assertRoundTrips, CHUNK } from './age-round-trip.ts';
import { ageCliAvailable, failure } from './helpers.ts';

async function encrypt(plaintext: Uint8Array, recipients: readonly string[]): Promise<Uint8Array> {
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return encrypter.encrypt(plaintext);
}

function refused(error: Error): boolean {
  return isEnvSyncError(error, 'E_DECRYPT') || isEnvSyncError(error, 'E_NOT_RECIPIENT');
}

function headerLength(ciphertext: Uint8Array): number {
  const text = Buffer.from(ciphertext).toString('latin1');
  return text.indexOf('\n', text.indexOf('\n--- ') + 1) + 1;
}

t.test("recovers what typage's Encrypter wrote, for 1–3 recipients, across chunk boundaries", async (t) => {
  await assertRoundTrips(encrypt, decryptWithIdentity, 60);
  t.pass('every size and recipient count round-trips');
});

t.test('files from the `age` CLI decrypt', async (t) => {
  if (!ageCliAvailable(t)) return;
  const [key, other] = [await ageKey(), await ageKey()];
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17]) {
    const plaintext = Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff);
    for (const recipients of [[key.recipient], [other.recipient, key.recipient]]) {
      const result = spawnSync(
        'age',
        recipients.flatMap((r) => ['-r', r]),
        { input: plaintext },
      );
      t.equal(result.status, 0, result.stderr.toString());
      const back = await decryptWithIdentity(new Uint8Array(result.stdout), key.secret);
      t.ok(
        Buffer.from(back).equals(Buffer.from(plaintext)),
        `${size} bytes, ${recipients.length} recipients`,
      );
    }
  }
});

t.test('a flipped byte anywhere (header, MAC, nonce, payload, last chunk) is refused', async (t) => {
  const key = await ageKey();
  const other = await ageKey();
  const ciphertext = await encrypt(
    Uint8Array.from({ length: 2 * CHUNK + 100 }, (_, i) => i & 0xff),
    [other.recipient, key.recipient],
  );
  const header = headerLength(ciphertext);
  const macStart = Buffer.from(ciphertext).toString('latin1').indexOf('\n--- ') + 5;
  const regions: Array<[string, number, number]> = [
    ['header', 0, header],
    ['mac', macStart, header - 1],
    ['nonce', header, header + 16],
    ['payload', header + 16, ciphertext.length],
    ['last chunk', ciphertext.length - 116, ciphertext.length],
  ];
  for (const [name, from, to] of regions) {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: from, max: to - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (i, x) => {
          const tampered = Uint8Array.from(ciphertext);
          tampered[i]! ^= x;
          return refused(await failure(decryptWithIdentity(tampered, key.secret)));
        },
      ),
      { numRuns: 40 },
    );
    t.pass(`every flip in the ${name} refused`);
  }
  // The MAC and the nonce bytes, every one of them, one bit at a time.
  for (let i = macStart; i < header + 16; i++) {
    const tampered = Uint8Array.from(ciphertext);
    tampered[i]! ^= 0x01;
    const error = await failure(decryptWithIdentity(tampered, key.secret));
    if (!refused(error)) t.fail(`byte ${i}: ${error.message}`);
  }
  t.pass('every MAC and nonce bit refused');
});

t.test('every truncation, and any trailing data, is refused', async (t) => {
  const key = await ageKey();
  const ciphertext = await encrypt(
    Uint8Array.from({ length: CHUNK + 50 }, (_, i) => i & 0xff),
    [key.recipient],
  );
  const header = headerLength(ciphertext);
  const cuts = [
    ...Array.from({ length: header + 20 }, (_, i) => i),
    header + CHUNK,
    header + 16 + CHUNK + 16,
    header + 16 + CHUNK + 15,
    ciphertext.length - 1,
  ];
  for (const cut of cuts) {
    const error = await failure(decryptWithIdentity(ciphertext.subarray(0, cut), key.secret));
    if (!isEnvSyncError(error, 'E_DECRYPT')) t.fail(`cut at ${cut}: ${error.message}`);
  }
  t.pass('every cut refused');
  for (const extra of [[0], [1, 2, 3], Array.from({ length: 16 }, () => 0)]) {
    const longer = Uint8Array.from([...ciphertext, ...extra]);
    t.match(
      await failure(decryptWithIdentity(longer, key.secret)),
      { code: 'E_DECRYPT' },
      `${extra.length} extra`,
    );
  }
  // Exactly one full chunk: the last chunk is full, not an empty one after it.
  const exact = await encrypt(new Uint8Array(CHUNK), [key.recipient]);
  t.same(await decryptWithIdentity(exact, key.secret), new Uint8Array(CHUNK));
});

t.test('non-canonical base64 and wrong line lengths in the header are refused', async (t) => {
  const key = await ageKey();
  const ciphertext = await encrypt(new TextEncoder().encode('A=1\n'), [key.recipient]);
  const text = Buffer.from(ciphertext).toString('latin1');
  const header = headerLength(ciphertext);
  const lines = text.slice(0, header).split('\n');
  const stanzaLine = lines.findIndex((line) => line.startsWith('-> X25519 '));
  const body = lines[stanzaLine + 1]!;
  t.equal(body.length, 43, 'a 32-byte body is one 43-column line');
  const variants: Record<string, (l: string[]) => void> = {
    'padded body': (l) => {
      l[stanzaLine + 1] = `${body}=`;
    },
    'stray bits in body': (l) => {
      const last = body.at(-1)!;
      l[stanzaLine + 1] =
        body.slice(0, -1) + (last === 'A' ? 'B' : String.fromCharCode(last.charCodeAt(0) ^ 1));
    },
    'url-safe alphabet in share': (l) => {
      // The share's first character becomes '-' (url-safe base64): whatever the share, the line changes.
      const [arrow, type, share] = l[stanzaLine]!.split(' ');
      l[stanzaLine] = `${arrow} ${type} -${share!.slice(1)}`;
    },
    'padded MAC': (l) => {
      l[l.length - 2] = `${l[l.length - 2]}=`;
    },
    'empty argument': (l) => {
      l[stanzaLine] = l[stanzaLine]!.replace(' ', '  ');
    },
  };
  for (const [name, edit] of Object.entries(variants)) {
    const edited = [...lines];
    edit(edited);
    const bytes = Buffer.concat([Buffer.from(edited.join('\n'), 'latin1'), ciphertext.subarray(header)]);
    const error = await failure(decryptWithIdentity(new Uint8Array(bytes), key.secret));
    t.ok(refused(error), `${name}: ${error.message}`);
  }
  // A body line of 64 columns must be followed by another (possibly empty) line.
  const long = Buffer.from(
    `age-encryption.org/v1\n-> other ${'A'.repeat(10)}\n${'A'.repeat(64)}\n--- ${'A'.repeat(43)}\n`,
    'latin1',
  );
  t.match(await failure(decryptWithIdentity(new Uint8Array(long), key.secret)), { code: 'E_DECRYPT' });
  const tooLong = Buffer.from(
    `age-encryption.org/v1\n-> other x\n${'A'.repeat(68)}\n\n--- ${'A'.repeat(43)}\n`,
    'latin1',
  );
  t.match(await failure(decryptWithIdentity(new Uint8Array(tooLong), key.secret)), { code: 'E_DECRYPT' });
  // Unknown stanza types are other recipients: skipped, so a file without X25519 is E_NOT_RECIPIENT.
  const foreign = Buffer.from(`age-encryption.org/v1\n-> other x\nAAAA\n--- ${'A'.repeat(43)}\n`, 'latin1');
  t.match(await failure(decryptWithIdentity(new Uint8Array(foreign), key.secret)), {
    code: 'E_NOT_RECIPIENT',
    recipientCount: 1,
  });
});

t.test('the recipient derived with node:crypto equals age-encryption identityToRecipient', async (t) => {
  const { generateX25519Identity, identityToRecipient } = await import('age-encryption');
  const { ageKeyPairFromSecretKey } = await import('../../src/crypto/age-identity-file.ts');
  for (let i = 0; i < 20; i++) {
    const secretKey = await generateX25519Identity();
    const pair = await ageKeyPairFromSecretKey(secretKey, 'test key');
    t.equal(pair.recipient, await identityToRecipient(secretKey));
  }
});
