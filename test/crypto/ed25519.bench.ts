// Measures Ed25519 sign/verify in node:crypto (what src/crypto/ed25519.ts uses) against @noble/ed25519.
// Run: node --import=tsx test/crypto/ed25519.bench.ts (figures are quoted in src/crypto/ed25519.ts).

import { randomBytes } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { SigningKey, verifySignature } from '../../src/crypto/ed25519.ts';

ed.hashes.sha512 = sha512;
const seed = randomBytes(32);
const message = randomBytes(200);
const key = SigningKey.fromSeed(seed);
const signature = key.sign(message);

function bench(name: string, runs: number, operation: () => unknown): void {
  for (let i = 0; i < 100; i++) operation();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) operation();
  const micros = Number(process.hrtime.bigint() - start) / 1000 / runs;
  console.log(`${name.padEnd(40)} ${micros.toFixed(1).padStart(8)} µs/op`);
}

bench('sign   node:crypto (SigningKey)', 20_000, () => key.sign(message));
bench('sign   @noble/ed25519', 2_000, () => ed.sign(message, seed));
bench('verify node:crypto (verifySignature)', 20_000, () =>
  verifySignature(key.publicKey, message, signature),
);
bench('verify @noble/ed25519', 2_000, () => ed.verify(signature, message, key.publicKey));
