// Membership benchmark at the realistic size: a secure-peer group of 50 peers with 2,000 membership events, 20
// environments of 100 keys and 10,000 signed commits. Times, as ratios to `node -e 0` in the same run: cold
// `get` and `set`, `log --verify` of the whole chain from scratch, and a fetch that brings 100 new events against
// a fetch that brings none. Figures go in docs/performance.md.
//
// Run: `node scripts/build.mjs && node bench/membership.mjs [--runs N]`. The fixture is written through the
// project's own modules (bundled from src/ with esbuild), then every figure times the built CLI as a user runs it.
// Commands run round-robin, one of each per round, so load from other processes hits them alike.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-src.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench/.work/membership');
const BIN = path.join(WORK, 'cli/bin/env-sync.js');
const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1] || 9) || 9;
const PEERS = 50;
const EVENTS = 2_000;
const ENVIRONMENTS = 20;
const KEYS = 100;
const COMMITS = 10_000;
const NEW_EVENTS = 100;
const node = process.execPath;

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
cpSync(path.join(ROOT, 'bin'), path.join(WORK, 'cli/bin'), { recursive: true });
cpSync(path.join(ROOT, 'dist'), path.join(WORK, 'cli/dist'), { recursive: true });
const HOME = path.join(WORK, 'home');
mkdirSync(HOME, { mode: 0o700 });
process.env.ENV_SYNC_HOME = HOME;
const env = { PATH: process.env.PATH, HOME, ENV_SYNC_HOME: HOME };

function must(args, options = {}) {
  const result = spawnSync(args[0], args.slice(1), { env, encoding: 'utf8', ...options });
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return result;
}

const m = await bundleSources('membership', [
  "export { openRepository } from './src/store/repository.ts';",
  "export { loadOrCreateIdentity } from './src/crypto/create-identity.ts';",
  "export { generateAgeKeyPair } from './src/crypto/age-identity-file.ts';",
  "export { SigningKey } from './src/crypto/ed25519.ts';",
  "export { childEvent, createJoinRequest } from './src/membership/build-event.ts';",
  "export { requireChain, saveChain } from './src/membership/chain-store.ts';",
  "export { createSession } from './src/cli/session.ts';",
  "export { commitEnvironment, readEnvironment } from './src/model/environment.ts';",
  "export { commitSigningBytes, UNSIGNED } from './src/store/commit-signing.ts';",
  "export { branchRef } from './src/store/ref-names.ts';",
]);

// The group: the founder, 49 more peers approved by it, then events up to 2,000 (no-op `opt-note` events
// signed by members in turn, the kind an old peer may ignore), all stored as a peer's own events are.
const A = path.join(WORK, 'a');
mkdirSync(A);
must([node, BIN, 'identity', 'init', '--name', 'founder'], { cwd: WORK });
must([node, BIN, 'init'], { cwd: A });
const founder = await m.loadOrCreateIdentity(HOME);
const NOW = Math.floor(Date.now() / 1000);

async function appendEvents(repo, count, bodyOf, signerOf) {
  const { tree, storedTip } = await m.requireChain(repo, { now: NOW });
  const added = [];
  for (let i = 0; i < count; i++) {
    const event = m.childEvent(signerOf(i), tree.group, tree.tip(), bodyOf(i, tree), NOW);
    added.push(tree.add(event, { now: NOW, verifySignatures: false }));
  }
  await m.saveChain(repo, tree, added, storedTip, { peer: 'bench', reason: 'bench' });
}

const repoA = await m.openRepository(A);
const members = [founder.signingKey];
const cards = [];
for (let i = 1; i < PEERS; i++) {
  const key = m.SigningKey.generate();
  const age = await m.generateAgeKeyPair();
  members.push(key);
  cards.push({ name: `peer-${i}`, ageRecipient: age.recipient, certificateFingerprint: 'ab'.repeat(32) });
}
await appendEvents(
  repoA,
  PEERS - 1,
  (i, tree) => ({
    kind: 'approve',
    role: 'member',
    request: m.createJoinRequest(members[i + 1], cards[i], tree.group, NOW),
  }),
  () => founder.signingKey,
);
const note = () => ({ kind: 'ignorable', name: 'opt-note' });
await appendEvents(repoA, EVENTS - PEERS, note, (i) => members[i % PEERS]);

// 20 environments of 100 keys, sealed to the 50 peers, then 10,000 commits in all (each environment's history
// alternates between two sealed snapshots, as edits of one key would).
const session = await m.createSession(repoA);
for (let e = 0; e < ENVIRONMENTS; e++) {
  const name = e === 0 ? 'main' : `env-${e}`;
  const state = await m.readEnvironment(session, name);
  const entries = (v) =>
    new Map(Array.from({ length: KEYS }, (_, k) => [`KEY_${k}`, `value-${v}-${k}-${e}`]));
  await m.commitEnvironment(session, state, { entries: entries(0), message: 'first' });
  const second = await m.commitEnvironment(session, await m.readEnvironment(session, name), {
    entries: entries(1),
    message: 'second',
  });
  const snapshots = [
    (await m.readEnvironment(session, name)).commit.snapshot,
    (await repoA.objects.readTyped(second, 'commit')).snapshot,
  ];
  let head = second;
  const written = [];
  for (let c = 2; c < COMMITS / ENVIRONMENTS; c++) {
    const unsigned = {
      type: 'commit',
      snapshot: snapshots[c % 2],
      parents: [head],
      author: founder.peerId,
      time: NOW,
      message: `edit ${c}`,
      members: await repoA.refs.read('refs/members'),
      signature: m.UNSIGNED,
    };
    const signature = founder.signingKey.sign(m.commitSigningBytes(unsigned, repoA.group));
    head = await repoA.objects.write({ ...unsigned, signature }, { durable: false });
    written.push(head);
  }
  await repoA.objects.syncObjects(written);
  await repoA.refs.update(m.branchRef(name), head, { peer: 'bench', reason: 'bench', expected: second });
}

// A clone before 100 more events (fetch brings them) and after them (fetch brings none). Each timed fetch starts
// from a fresh copy of the clone and of the identity home (which records what was verified).
// The clone is another peer, with an identity home of its own (which records what it verified).
const B = path.join(WORK, 'b');
const HOME_B = path.join(WORK, 'home-b');
mkdirSync(HOME_B, { mode: 0o700 });
const envB = { ...env, HOME: HOME_B, ENV_SYNC_HOME: HOME_B };
must([node, BIN, 'identity', 'init', '--name', 'clone'], { cwd: WORK, env: envB });
must([node, BIN, 'clone', A, B], { cwd: WORK, env: envB });
const BEHIND = path.join(WORK, 'behind');
cpSync(B, path.join(BEHIND, 'repo'), { recursive: true });
cpSync(HOME_B, path.join(BEHIND, 'home'), { recursive: true });
await appendEvents(repoA, NEW_EVENTS, note, (i) => members[i % PEERS]);
must([node, BIN, 'fetch'], { cwd: B, env: envB });
const CURRENT = path.join(WORK, 'current');
cpSync(B, path.join(CURRENT, 'repo'), { recursive: true });
cpSync(HOME_B, path.join(CURRENT, 'home'), { recursive: true });

function restore(from) {
  rmSync(B, { recursive: true, force: true });
  cpSync(path.join(from, 'repo'), B, { recursive: true });
  rmSync(HOME_B, { recursive: true, force: true });
  cpSync(path.join(from, 'home'), HOME_B, { recursive: true });
}

function timed(args, cwd, input, environment = env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(args[0], args.slice(1), {
    env: environment,
    cwd,
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return ms;
}

const cases = {
  'node -e 0': () => timed([node, '-e', '0'], WORK),
  'get KEY_7': () => timed([node, BIN, 'get', 'KEY_7'], A),
  'set KEY_7': () => timed([node, BIN, 'set', 'KEY_7'], A, `v-${Math.random()}\n`),
  'log --verify': () => timed([node, BIN, 'log', '--verify'], A),
  'fetch (no new event)': () => {
    restore(CURRENT);
    return timed([node, BIN, 'fetch'], B, undefined, envB);
  },
  [`fetch (${NEW_EVENTS} new events)`]: () => {
    restore(BEHIND);
    return timed([node, BIN, 'fetch'], B, undefined, envB);
  },
};
const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < RUNS; round++)
  for (const [name, run] of Object.entries(cases)) times[name].push(run());

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(times['node -e 0']);
const noFetch = median(times['fetch (no new event)']);
console.log(
  `membership: ${PEERS} peers, ${EVENTS} events, ${ENVIRONMENTS} environments of ${KEYS} keys, ${COMMITS} commits; medians of ${RUNS}`,
);
for (const [name, xs] of Object.entries(times)) {
  const ms = median(xs);
  const ratio = name.startsWith('fetch (') ? `${(ms / noFetch).toFixed(2)}x fetch (no new event)` : '';
  console.log(
    `${name.padEnd(26)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / base).toFixed(2)}x node -e 0  ${ratio}`,
  );
}
