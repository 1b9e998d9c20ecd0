// Shared by the age encryptor's and decryptor's tests: keys, payloads around the 64 KiB chunk boundaries, and
// the property that what one side encrypts to 1–3 recipients, the other decrypts with any of them.

import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import fc from 'fast-check';

export const CHUNK = 64 * 1024;

export interface AgeKey {
  readonly secret: string;
  readonly recipient: string;
}

export async function ageKey(): Promise<AgeKey> {
  const secret = await generateX25519Identity();
  return { secret, recipient: await identityToRecipient(secret) };
}

/** `size` bytes that differ with `seed`. */
export const bytesOf = (size: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: size }, (_, i) => (Math.imul(i + 1, seed | 1) >>> 13) & 0xff);

/** Payload sizes: empty, within one chunk, exact multiples of it, and across one to three boundaries. */
export const payloadSizes = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: CHUNK - 1 }),
  fc.constantFrom(CHUNK, 2 * CHUNK, 3 * CHUNK, 3 * CHUNK + 1),
  fc.integer({ min: CHUNK + 1, max: 4 * CHUNK }),
);

/** Asserts that `decrypt(encrypt(p, recipients), one of their secrets)` gives back p, for `numRuns` cases. */
export async function assertRoundTrips(
  encrypt: (plaintext: Uint8Array, recipients: string[]) => Promise<Uint8Array>,
  decrypt: (file: Uint8Array, secret: string) => Promise<Uint8Array>,
  numRuns: number,
): Promise<void> {
  const keys = [await ageKey(), await ageKey(), await ageKey()];
  await fc.assert(
    fc.asyncProperty(
      payloadSizes,
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 1, max: 3 }),
      fc.nat(2),
      async (size, seed, count, reader) => {
        const plaintext = bytesOf(size, seed);
        const recipients = keys.slice(0, count);
        const file = await encrypt(
          plaintext,
          recipients.map((key) => key.recipient),
        );
        const back = await decrypt(file, recipients[reader % count]!.secret);
        return back instanceof Uint8Array && Buffer.from(back).equals(Buffer.from(plaintext));
      },
    ),
    { numRuns },
  );
}
