// Membership benchmark: a 10,000-event chain (approvals and revocations by four admins) verified from
// scratch, as a fresh peer's first fetch does, then one new event on top (incremental), in memory and on disk
// (with the registry checkpoint, and without it).
// Figures and the exact command are recorded in docs/performance.md#membership.
//
// Run: `node bench/membership.mjs [--events N] [--runs N] [--workers]`. The membership code is bundled from
// src/ with esbuild into bench/.work/ (the same bundling the CLI gets), so no TypeScript loader is timed. As
// bin/env-sync.js does, the loader of the native signature checker dist/ed25519-batch.node (built by
// scripts/build.mjs) is registered; --workers leaves it out, to time the JS worker threads' fallback.

import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-src.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench/.work/membership');
const argValue = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const EVENTS = argValue('--events', 10_000);
const RUNS = argValue('--runs', 5);
const NOW = 1_700_000_000;

const NATIVE = !process.argv.includes('--workers');
if (NATIVE) {
  const addon = path.join(ROOT, 'dist/ed25519-batch.node');
  globalThis[Symbol.for('env-sync.loadEd25519Batch')] = () => createRequire(import.meta.url)(addon);
}
const m = await loadMembership();
const card = (key, name) => {
  const hex = Buffer.from(key.publicKey).toString('hex');
  return { name, ageRecipient: m.encodeAgeRecipient(key.publicKey), certificateFingerprint: hex };
};

// The chain: genesis, three more admins, then approve/revoke pairs of members, signed round-robin.
const t0 = performance.now();
const founder = m.SigningKey.generate();
const tree = m.MemberTree.create(m.genesisEvent(founder, card(founder, 'founder'), NOW), {
  now: NOW,
  verifySignatures: false,
});
const admins = [founder];
const append = (signer, body) =>
  tree.add(m.childEvent(signer, tree.group, tree.tip(), body, NOW), { now: NOW, verifySignatures: false });
const approveBody = (key, role) => ({
  kind: 'approve',
  request: m.createJoinRequest(key, card(key, 'p'), tree.group, NOW),
  role,
});
for (let i = 0; i < 3; i++) {
  const key = m.SigningKey.generate();
  append(founder, approveBody(key, 'admin'));
  admins.push(key);
}
for (let i = 0; tree.size < EVENTS; i++) {
  const key = m.SigningKey.generate();
  append(admins[i % 4], approveBody(key, 'member'));
  if (tree.size < EVENTS) append(admins[(i + 1) % 4], { kind: 'revoke', key: key.publicKey, reason: '' });
}
const chain = tree.canonical().map((held) => held.event);
const wire = chain.map((event) => m.encodeObject(event));
console.log(
  `membership: ${chain.length} events, ${wire.reduce((n, b) => n + b.length, 0)} bytes (built in ${ms(t0)} ms)`,
);
console.log(`  node ${process.version}, ${process.platform}/${process.arch}, median of ${RUNS} runs`);
console.log(
  `  signatures checked ${m.ed25519BatchAddon() === null ? 'on JS worker threads' : 'by the native addon on libuv threads'}`,
);

const line = (label, value) => console.log(`  ${label.padEnd(72)} ${value.toFixed(1).padStart(8)} ms`);

// 1. A fresh peer's first fetch: decode each received object, hash it, verify every signature and rule.
const fullRuns = [];
const fullCpu = [];
const sequentialRuns = [];
for (let run = 0; run < RUNS; run++) {
  const cpu = process.cpuUsage();
  let start = performance.now();
  // As a first fetch does: the signature checks start on the other threads as each event is decoded.
  const signatures = new m.SignatureBatch();
  const events = wire.map((bytes) => {
    const event = m.wireEventFromBytes(bytes, 'event');
    signatures.add(event);
    return event;
  });
  const fresh = m.MemberTree.create(events[0], { now: NOW, verifySignatures: true });
  const { tree: verified } = await m.mergeVerified(fresh, events.slice(1), NOW, signatures);
  fullRuns.push(performance.now() - start);
  const used = process.cpuUsage(cpu);
  fullCpu.push((used.user + used.system) / 1000);
  if (verified.tip().id !== tree.tip().id) throw new Error('verification picked another tip');
  start = performance.now();
  const single = m.MemberTree.create(events[0], { now: NOW, verifySignatures: true });
  m.mergeEvents(single, events.slice(1), NOW);
  sequentialRuns.push(performance.now() - start);
}
line(
  `full verification from scratch (decode, hash, signatures on ${availableParallelism()} threads as decoded, rules)`,
  sorted(fullRuns),
);
line('  fastest of the runs', Math.min(...fullRuns));
line('  CPU time of all threads (user + system)', sorted(fullCpu));
line('  the same on one thread', sorted(sequentialRuns));
const signatures = chain.length + chain.filter((event) => event.kind === 'approve').length;
line(
  `  of which ${signatures} Ed25519 verifications on one thread`,
  median(() => {
    for (const event of chain) {
      m.verifyEd25519(event.actor, m.eventSigningBytes(event), event.signature);
      if (event.kind === 'approve') {
        const { request } = m.parseEventBody(event, 'e');
        m.verifyEd25519(request.key, m.joinRequestBytes(request), request.signature);
      }
    }
  }),
);
const stored = wire.map((bytes) => m.wireEventFromBytes(bytes, 'event'));
line(
  'rules only (a local reload: signatures were verified on arrival)',
  median(() => {
    const fresh = m.MemberTree.create(stored[0], { now: NOW, verifySignatures: false });
    for (const event of stored.slice(1)) fresh.add(event, { now: NOW, verifySignatures: false });
  }),
);

// 2. Incremental: one new event on top of the 10,000 held ones.
const next = () =>
  m.childEvent(admins[0], tree.group, tree.tip(), approveBody(m.SigningKey.generate(), 'member'), NOW);
line(
  'incremental: verify and add 1 new event to the held chain (in memory)',
  median(() => {
    const copy = tree.clone();
    const event = next();
    const t1 = performance.now();
    m.mergeEvents(copy, [event], NOW);
    return performance.now() - t1;
  }),
);
line(
  'incremental: verify and add 10 new events',
  median(() => {
    const copy = tree.clone();
    let total = 0;
    for (let i = 0; i < 10; i++) {
      const event = m.childEvent(
        admins[0],
        copy.group,
        copy.tip(),
        approveBody(m.SigningKey.generate(), 'member'),
        NOW,
      );
      const t1 = performance.now();
      m.mergeEvents(copy, [event], NOW);
      total += performance.now() - t1;
    }
    return total;
  }),
);

// 3. On disk: applyRemoteEvents as fetch calls it (the held chain from its checkpoint, verify the new events,
// store, CAS, rewrite the checkpoint).
rmSync(WORK, { recursive: true, force: true });
const repo = await m.initRepository(path.join(WORK, 'repo'), { mode: 'secure-peer', group: tree.group });
let t2 = performance.now();
await m.applyRemoteEvents(repo, chain, NOW);
line('on disk: applyRemoteEvents of the whole chain into a fresh repository', performance.now() - t2);
// A fetch's pack reader has already stored and fsynced the events (in one pack, above fetch.unpackLimit) when
// membership applies them: given their bytes (decoded here, as the store's read does); walked from the tip
// through the bytes the pack reader kept, as the fetch hook does; and read back from the pack, as the hook of
// a push (receive-pack) does.
const packed = async (name) => {
  const into = await m.initRepository(path.join(WORK, name), { mode: 'secure-peer', group: tree.group });
  const pack = into.objects.startBatch(chain.length, 1);
  for (const bytes of wire) await pack.add(m.hashObjectBytes(bytes), bytes);
  await pack.finish();
  return into;
};
const stored1 = await packed('fetched');
t2 = performance.now();
const decoded = wire.map((bytes) => m.wireEventFromBytes(bytes, 'event'));
await m.applyRemoteEvents(stored1, decoded, NOW, { eventsStored: true });
line(
  '  the same, events already stored by the fetch (eventsStored), from their bytes',
  performance.now() - t2,
);
const receivedBytes = new Map(wire.map((bytes) => [m.hashObjectBytes(bytes), bytes]));
// The fetch's own hook (src/cli/sync/membership.ts), as a first fetch calls it once the pack is stored: it
// walks from the advertised tip through the received bytes, checking signatures as it reads, then applies.
const hookRuns = [];
for (let run = 0; run < RUNS; run++) {
  const into = await packed(`fetched-again-${run}`);
  const { hook } = m.membershipOnFetch({ peerId: 'bench', source: 'bench', now: NOW, reissue: false });
  const ad = { refs: [], members: tree.tip().id, memberForks: [] };
  t2 = performance.now();
  await hook(into, ad, receivedBytes);
  hookRuns.push(performance.now() - t2);
  rmSync(into.workTree, { recursive: true, force: true });
}
line(
  '  the same, through the fetch hook (walk the received bytes, checks start as it reads)',
  sorted(hookRuns),
);
line('    fastest of the runs', Math.min(...hookRuns));
const stored3 = await packed('pushed');
t2 = performance.now();
const readBack = await m.readEventsFrom(stored3, [tree.tip().id]);
await m.applyRemoteEvents(stored3, readBack, NOW, { eventsStored: true });
line("  the same, read back from the pack (a push's receive hook)", performance.now() - t2);
const checkpoint = path.join(repo.dir, 'members-checkpoint');
const applyOne = async (dropCheckpoint) => {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const { tree: held } = await m.loadChainHead(repo, NOW);
    const body = approveBody(m.SigningKey.generate(), 'member');
    const event = m.childEvent(admins[0], held.group, held.tip(), body, NOW);
    if (dropCheckpoint) rmSync(checkpoint);
    t2 = performance.now();
    await m.applyRemoteEvents(repo, [event], NOW);
    runs.push(performance.now() - t2);
  }
  return sorted(runs);
};
line('on disk: applyRemoteEvents of 1 new event (held chain from the checkpoint)', await applyOne(false));
const inARow = await appliedInARow(150);
line('  the same, 150 more in a row: median', sorted(inARow));
line('    the slowest (a save that compacts the checkpoint)', Math.max(...inARow));
line('  the same without a checkpoint (reads the whole chain, rewrites it)', await applyOne(true));
/** `count` single events applied one after the other: their times (a save that compacts included). */
async function appliedInARow(count) {
  const runs = [];
  for (let i = 0; i < count; i++) {
    const { tree: held } = await m.loadChainHead(repo, NOW, {});
    const body = approveBody(m.SigningKey.generate(), 'member');
    const event = m.childEvent(admins[0], held.group, held.tip(), body, NOW);
    t2 = performance.now();
    await m.applyRemoteEvents(repo, [event], NOW);
    runs.push(performance.now() - t2);
  }
  return runs;
}
const timed = async (fn) => {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    t2 = performance.now();
    await fn();
    runs.push(performance.now() - t2);
  }
  return sorted(runs);
};
line('on disk: loading the held chain alone (read objects + rules)', await timed(() => m.loadChain(repo)));
line(
  'on disk: the state at the tip from the checkpoint, every page',
  await timed(() => m.loadChainHead(repo, NOW)),
);
line(
  '  the same, the root only (pages read as keys are asked for)',
  await timed(() => m.loadChainHead(repo, NOW, {})),
);
rmSync(WORK, { recursive: true, force: true });

function ms(start) {
  return Math.round(performance.now() - start);
}

function median(fn) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const result = fn();
    times.push(typeof result === 'number' ? result : performance.now() - start);
  }
  return sorted(times);
}

function sorted(times) {
  return [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function loadMembership() {
  return bundleSources('membership-bundle', [
    "export { encodeAgeRecipient } from './src/crypto/age-recipient.ts';",
    "export { SigningKey } from './src/crypto/ed25519.ts';",
    "export { childEvent, createJoinRequest, genesisEvent } from './src/membership/build-event.ts';",
    "export { loadChain, loadChainHead, readEventsFrom } from './src/membership/chain-store.ts';",
    "export { parseEventBody } from './src/membership/event-format.ts';",
    "export { applyRemoteEvents } from './src/membership/exchange.ts';",
    "export { mergeEvents } from './src/membership/merge-events.ts';",
    "export { eventId, eventSigningBytes, joinRequestBytes, verifyEd25519, wireEventFromBytes } from './src/membership/signing.ts';",
    "export { mergeVerified, SignatureBatch } from './src/membership/batch-verify.ts';",
    "export { ed25519BatchAddon } from './src/membership/signature-pool.ts';",
    "export { MemberTree } from './src/membership/tree.ts';",
    "export { membershipOnFetch } from './src/cli/sync/membership.ts';",
    "export { decodeObject, encodeObject } from './src/store/objects.ts';",
    "export { initRepository } from './src/store/repository.ts';",
    "export { hashObjectBytes } from './src/store/object-id.ts';",
  ]);
}
