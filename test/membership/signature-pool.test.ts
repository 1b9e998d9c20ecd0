// The two ways a long chain's signatures are checked (src/membership/signature-pool.ts): the native addon
// dist/ed25519-batch.node on libuv's pool, and JS worker threads where it is missing. Both must give, check by
// check, the verdict of node:crypto's verify (verifySignature), for valid and forged input alike; and the
// addon must never read or write outside the buffers it is given, whatever the packed bytes hold.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import t from 'tap';
import { SigningKey, verifySignature } from '../../src/crypto/ed25519.ts';
import { SignatureBatch } from '../../src/membership/batch-verify.ts';
import {
  type Check,
  type Ed25519BatchAddon,
  NativeSignaturePool,
  packChecks,
  type SignaturePool,
  WorkerSignaturePool,
} from '../../src/membership/signature-pool.ts';
import { asWireEvent } from '../../src/membership/signing.ts';
import type { EventObject } from '../../src/store/objects.ts';
import { actor, approveBody, draft, NOW, newGroup } from './model-helpers.ts';

// The native half runs only where dist/ed25519-batch.node exists.
const ADDON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/ed25519-batch.node');
const native: Ed25519BatchAddon | null = existsSync(ADDON)
  ? (createRequire(import.meta.url)(ADDON) as Ed25519BatchAddon)
  : null;

const pools: [string, () => SignaturePool][] = [['JS workers', () => new WorkerSignaturePool(1)]];
if (native !== null) {
  pools.push(['native, 2 lanes', () => new NativeSignaturePool(native, 2)]);
  pools.push(['native, no lane (all on this thread)', () => new NativeSignaturePool(native, 0)]);
}

/** Results of `chunks` checked through `pool`, one array per chunk. */
async function run(pool: SignaturePool, chunks: readonly (readonly Check[])[]): Promise<number[][]> {
  const results = chunks.map((chunk) => pool.post(chunk));
  await pool.finish();
  pool.close();
  return results.map((r) => [...r]);
}

const expected = (checks: readonly Check[]): number[] =>
  checks.map(({ key, signature, parts }) =>
    parts.length > 0 && verifySignature(key, Buffer.concat(parts), signature) ? 1 : 0,
  );

const encoder = new TextEncoder();
const signer = SigningKey.generate();
const other = SigningKey.generate();
const message = encoder.encode('approve peer MZUHVL-PYUMK6 as member');
const signature = signer.sign(message);
const flip = (bytes: Uint8Array, at: number): Uint8Array => {
  const copy = Uint8Array.from(bytes);
  copy[at]! ^= 1;
  return copy;
};
// The group order L, little-endian: s + L is the same scalar, but RFC 8032 (and OpenSSL) refuse s ≥ L.
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const withSPlusL = (sig: Uint8Array): Uint8Array => {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  s += L;
  const copy = Uint8Array.from(sig);
  for (let i = 32; i < 64; i++) {
    copy[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return copy;
};

const cases: [string, Check, number][] = [
  ['a valid signature', { key: signer.publicKey, signature, parts: [message] }, 1],
  [
    'a valid signature over a message in parts',
    { key: signer.publicKey, signature, parts: [message.subarray(0, 7), message.subarray(7)] },
    1,
  ],
  ['a forged signature', { key: signer.publicKey, signature: flip(signature, 5), parts: [message] }, 0],
  ['s + L (not canonical)', { key: signer.publicKey, signature: withSPlusL(signature), parts: [message] }, 0],
  ['a wrong key', { key: other.publicKey, signature, parts: [message] }, 0],
  ['a key that is not a curve point', { key: new Uint8Array(32).fill(0xff), signature, parts: [message] }, 0],
  ['y = 2, no point', { key: Uint8Array.of(2, ...new Uint8Array(31)), signature, parts: [message] }, 0],
  ['a truncated message', { key: signer.publicKey, signature, parts: [message.subarray(0, 20)] }, 0],
  ['a message with a byte more', { key: signer.publicKey, signature, parts: [message, Uint8Array.of(0)] }, 0],
  ['a short key', { key: signer.publicKey.subarray(1), signature, parts: [message] }, 0],
  ['a short signature', { key: signer.publicKey, signature: signature.subarray(0, 63), parts: [message] }, 0],
  ['no message (not derivable)', { key: signer.publicKey, signature, parts: [] }, 0],
];

for (const [name, make] of pools) {
  t.test(`${name}: each case gets node:crypto's verdict`, async (t) => {
    const checks = cases.map(([, check]) => check);
    t.same(
      expected(checks),
      cases.map(([, , verdict]) => verdict),
      'the cases are what they claim',
    );
    // One chunk, then the same cases spread over several chunks (the key cache starts afresh in each).
    const [whole] = await run(make(), [checks]);
    const spread = await run(make(), [checks.slice(0, 3), checks.slice(3, 4), checks.slice(4), []]);
    for (const [i, [case_, , verdict]] of cases.entries()) t.equal(whole![i], verdict, case_);
    t.same(spread.flat(), whole, 'the same across chunks');
  });
}

// Random checks: valid ones, and each part of one changed or replaced at random.
const keys = Array.from({ length: 12 }, () => SigningKey.generate());
const arbitraryCheck: fc.Arbitrary<Check> = fc
  .record({
    signer: fc.nat(keys.length - 1),
    by: fc.nat(keys.length - 1),
    message: fc.uint8Array({ maxLength: 400 }),
    change: fc.constantFrom('none', 'key', 'signature', 'message', 'random key', 'random signature', 's+L'),
    at: fc.nat(),
    random: fc.uint8Array({ minLength: 64, maxLength: 64 }),
    split: fc.nat(),
  })
  .map(({ signer, by, message, change, at, random, split }) => {
    const key = keys[signer]!;
    let publicKey: Uint8Array = key.publicKey;
    let sig: Uint8Array = keys[change === 'key' ? by : signer]!.sign(message);
    let msg: Uint8Array = message;
    if (change === 'signature') sig = flip(sig, at % 64);
    if (change === 'message')
      msg = message.length > 0 ? flip(message, at % message.length) : Uint8Array.of(1);
    if (change === 'random key') publicKey = random.subarray(0, 32);
    if (change === 'random signature') sig = random;
    if (change === 's+L') sig = withSPlusL(sig);
    const cut = msg.length === 0 ? 0 : split % msg.length;
    return { key: publicKey, signature: sig, parts: [msg.subarray(0, cut), msg.subarray(cut)] };
  });

t.test('native and node:crypto agree on random valid and invalid checks', async (t) => {
  if (native === null) {
    t.comment('skipped: dist/ed25519-batch.node is not built');
    return;
  }
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(arbitraryCheck, { maxLength: 20 }), { maxLength: 6 }),
      async (chunks) => {
        const got = await run(new NativeSignaturePool(native, 2), chunks);
        t.same(got, chunks.map(expected));
      },
    ),
    { numRuns: 60 },
  );
});

t.test('the JS workers and node:crypto agree on random checks', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(arbitraryCheck, { maxLength: 40 }), async (checks) => {
      const got = await run(new WorkerSignaturePool(1), [checks]);
      t.same(got, [expected(checks)]);
    }),
    { numRuns: 8 },
  );
});

/** The addon's results for raw `bytes`, with `capacity` result bytes (the last one the done byte). */
function packedResults(addon: Ed25519BatchAddon, bytes: Uint8Array, capacity: number): number[] {
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  const results = new Uint8Array(new SharedArrayBuffer(capacity)).fill(7);
  const pool = addon.createPool(0, () => {});
  addon.post(pool, shared, results);
  addon.close(pool, false);
  addon.help(pool);
  return [...results];
}

t.test('a malformed pack is read within its bounds and fails', async (t) => {
  if (native === null) {
    t.comment('skipped: dist/ed25519-batch.node is not built');
    return;
  }
  const good = { key: signer.publicKey, signature, parts: [message] };
  const two = packChecks([good, good]);
  t.same(packedResults(native, two, 3), [1, 1, 1], 'well formed: both verify, then the done byte');
  t.same(packedResults(native, two.subarray(0, two.length - 1), 3), [1, 0, 1], 'the second cut short');
  t.same(packedResults(native, two.subarray(0, 100), 3), [0, 0, 1], 'a header cut short');
  t.same(packedResults(native, two, 2), [1, 1], 'fewer result bytes than checks: only those written');
  t.same(packedResults(native, two, 1), [1], 'no room for any check: only the done byte');
  t.same(packedResults(native, two, 0), [], 'no result bytes at all');
  t.same(packedResults(native, two, 5), [1, 1, 0, 0, 1], 'more result bytes than checks: the rest fail');
  const lying = Uint8Array.from(two);
  lying[97] = 0xff; // the first message length is now ~4 GB
  t.same(packedResults(native, lying, 3), [0, 0, 1], 'a length past the end');
  const unflagged = Uint8Array.from(two);
  unflagged[0] = 2;
  t.same(packedResults(native, unflagged, 3), [0, 1, 1], 'a valid byte other than 1 fails unchecked');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(8), (bytes, capacity) => {
      const results = packedResults(native, bytes, capacity);
      return results.length === capacity && results.every((r, i) => (i === capacity - 1 ? r === 1 : r <= 1));
    }),
    { numRuns: 300 },
  );
  t.throws(() =>
    native.post(
      native.createPool(0, () => {}),
      new Uint16Array(4) as never,
      new Uint8Array(1),
    ),
  );
  const closed = native.createPool(1, () => {});
  native.close(closed, true);
  t.throws(() => native.post(closed, new Uint8Array(0), new Uint8Array(1)), /closed/);
});

t.test('a batch closed before it settles leaves its checks unverified, and ends', async (t) => {
  for (const [name, make] of pools) {
    const pool = make();
    const results = pool.post(cases.map(([, check]) => check));
    pool.close();
    await pool.finish();
    t.ok(
      results.every((r) => r === 0 || r === 1),
      `${name}: results are verdicts or not in`,
    );
    const late = pool.post(cases.map(([, check]) => check));
    t.same(
      [...late],
      cases.map(() => 0),
      `${name}: checks posted after close stay unverified`,
    );
  }
});

t.test('SignatureBatch on either pool refuses a forged event signature', async (t) => {
  const founder = actor('founder');
  const tree = newGroup(founder);
  const events: EventObject[] = [];
  for (let i = 0; i < 5; i++) {
    const event = draft(tree, founder, approveBody(tree, actor(`p${i}`)));
    tree.add(event, { now: NOW, verifySignatures: false });
    events.push(event);
  }
  const forged = { ...events[2]!, signature: flip(events[2]!.signature, 9) };
  for (const [name, make] of pools) {
    const batch = new SignatureBatch(make());
    const wires = [...events.slice(0, 2), forged, ...events.slice(3)].map(asWireEvent);
    for (const wire of wires) batch.add(wire);
    await batch.settle();
    batch.close();
    t.same(
      wires.map((wire) => batch.verified(wire)),
      [true, true, false, true, true],
      `${name}: only the forged one fails`,
    );
  }
});
