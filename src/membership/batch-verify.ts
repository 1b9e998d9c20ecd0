// Verifying the signatures of a large batch of events (a fresh peer's first fetch) on every core: the
// Ed25519 checks of a 10,000-event chain dominate its verification (bench/membership.mjs).

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ObjectId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import { parseEventBody } from './event-format.ts';
import { eventIdAndSigningBytes, joinRequestBytes, rotationSigningBytes, verifyEd25519 } from './signing.ts';

/** An event with its id, and whether every signature it carries was verified here. */
export interface PreparedEvent {
  readonly id: ObjectId;
  readonly event: EventObject;
  readonly signaturesVerified: boolean;
}

/** Below this many events the threads cost more than they save. */
export const PARALLEL_THRESHOLD = 512;

type Check = [key: Uint8Array, message: Uint8Array, signature: Uint8Array];

// Same check as signing.ts verifyEd25519, self-contained so it runs as an eval'd worker in the bundled CLI.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const keys = new Map();
parentPort.on('message', (checks) => {
  const out = new Uint8Array(checks.length);
  for (let i = 0; i < checks.length; i++) {
    const [key, message, signature] = checks[i];
    const hex = Buffer.from(key).toString('hex');
    let k = keys.get(hex);
    if (k === undefined) {
      try { k = createPublicKey({ key: Buffer.concat([PREFIX, key]), format: 'der', type: 'spki' }); } catch { k = null; }
      keys.set(hex, k);
    }
    try { out[i] = k !== null && signature.length === 64 && verify(null, message, k, signature) ? 1 : 0; } catch { out[i] = 0; }
  }
  parentPort.postMessage(out);
});`;

/** The signature checks an event needs: its own, plus a join request's or a new key's. Null: unparsable. */
function checksOf(event: EventObject, signing: Uint8Array): Check[] | null {
  const checks: Check[] = [[event.actor, signing, event.signature]];
  try {
    const body = parseEventBody(event, 'event');
    if (body.kind === 'request' || body.kind === 'approve') {
      checks.push([body.request.key, joinRequestBytes(body.request), body.request.signature]);
    } else if (body.kind === 'rotate-key') {
      checks.push([body.next.key, rotationSigningBytes(event), body.keySignature]);
    }
  } catch {
    return null;
  }
  return checks;
}

function runWorker(checks: Check[]): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.once('message', (out: Uint8Array) => {
      resolve(out);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.postMessage(checks);
  });
}

/**
 * Ids for every event and, for large batches, all their signatures checked in parallel. An event whose
 * checks fail is returned unverified, so the rules check it again and report it with the usual error.
 */
export async function prepareEvents(events: readonly EventObject[]): Promise<PreparedEvent[]> {
  const encoded = events.map((event) => ({ event, ...eventIdAndSigningBytes(event) }));
  if (events.length < PARALLEL_THRESHOLD) {
    return encoded.map(({ id, event }) => ({ id, event, signaturesVerified: false }));
  }
  const perEvent = encoded.map(({ event, signing }) => checksOf(event, signing));
  const all = perEvent.flatMap((checks) => checks ?? []);
  const lanes = Math.max(2, Math.min(availableParallelism(), 4));
  const size = Math.ceil(all.length / lanes);
  const chunks = Array.from({ length: lanes }, (_, i) => all.slice(i * size, (i + 1) * size));
  const pending = chunks.slice(1).map(runWorker);
  const mine = Uint8Array.from(chunks[0]!, ([key, message, signature]) =>
    verifyEd25519(key, message, signature) ? 1 : 0,
  );
  const results = [mine, ...(await Promise.all(pending))];
  const flat = new Uint8Array(all.length);
  let at = 0;
  for (const part of results) {
    flat.set(part, at);
    at += part.length;
  }
  let next = 0;
  return encoded.map(({ id, event }, i) => {
    const checks = perEvent[i];
    let ok = checks !== null;
    for (let k = 0; k < (checks?.length ?? 0); k++) ok = flat[next++] === 1 && ok;
    return { id, event, signaturesVerified: ok };
  });
}
