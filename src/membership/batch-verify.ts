// Adding a large batch of events (a fresh peer's first fetch) with its Ed25519 checks on every core: those
// checks dominate the verification of a 10,000-event chain (bench/membership.mjs, docs/performance.md).

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EventObject } from '../store/objects.ts';
import { type EventBody, parseEventBody } from './event-format.ts';
import { type MergeResult, mergeEvents, type PreparedEvent } from './merge-events.ts';
import {
  asWireEvent,
  joinRequestParts,
  signedMessageParts,
  verifyEd25519,
  type WireEvent,
} from './signing.ts';
import type { MemberTree } from './tree.ts';

/** Below this many events the threads cost more than they save. */
export const PARALLEL_THRESHOLD = 512;
/** Events per unit of work the threads claim: small enough to balance, large enough to post cheaply. */
const CHUNK_EVENTS = 128;

/** One signature check; the message is its parts one after the other (none: it cannot be derived, and fails). */
interface Check {
  readonly key: Uint8Array;
  readonly signature: Uint8Array;
  readonly parts: readonly Uint8Array[];
}
interface Chunk {
  readonly index: number;
  /** Index of the chunk's first check in the shared results. */
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/**
 * A chunk's checks as one shared buffer, which every thread reads the same way (verifyPacked): per check, 1 if
 * the key has 32 bytes, the signature 64 and the message could be derived (else 0: it fails unchecked), key, signature, message length
 * (uint32 BE) and message. Posting it shares memory; posting arrays would clone three objects per check, and
 * each message is written here once, straight from the event's bytes.
 */
function packChecks(checks: readonly Check[]): Uint8Array {
  let size = 0;
  for (const { parts } of checks) for (const part of parts) size += part.length;
  size += 101 * checks.length;
  const bytes = new Uint8Array(new SharedArrayBuffer(size));
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const { key, signature, parts } of checks) {
    if (key.length === 32 && signature.length === 64 && parts.length > 0) {
      bytes[at] = 1;
      bytes.set(key, at + 1);
      bytes.set(signature, at + 33);
    }
    let end = at + 101;
    for (const part of parts) {
      bytes.set(part, end);
      end += part.length;
    }
    view.setUint32(at + 97, end - at - 101);
    at = end;
  }
  return bytes;
}

/**
 * Checks every signature of a packed chunk with `valid`, writing 1 (verified) or 0 into `results` from
 * `offset`. Self-contained: the worker runs this same function, from its source text.
 */
function verifyPacked(
  bytes: Uint8Array,
  offset: number,
  results: Uint8Array,
  valid: (key: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0, k = offset; at < bytes.length; k++) {
    const end = at + 101 + view.getUint32(at + 97);
    const key = bytes.subarray(at + 1, at + 33);
    const ok = bytes[at] === 1 && valid(key, bytes.subarray(at + 101, end), bytes.subarray(at + 33, at + 97));
    results[k] = ok ? 1 : 0;
    at = end;
  }
}

// The worker claims chunks from a shared counter, pulls their checks off its port synchronously (waiting on
// `posted` until the main thread has sent them), verifies them into the shared results and marks the chunk
// done. `valid` is verifyEd25519's check (JWK import, a key per signer), self-contained so that it runs as an
// eval'd worker in the bundled CLI.
const WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const { next, posted, results, done } = workerData;
const keys = new Map();
const received = [];
function valid(key, message, signature) {
  const view = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const hex = view.toString('hex');
  let k = keys.get(hex);
  if (k === undefined) {
    const x = view.toString('base64url');
    try { k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }); } catch { k = null; }
    keys.set(hex, k);
  }
  try { return k !== null && verify(null, message, k, signature); }
  catch { return false; }
}
const verifyPacked = ${verifyPacked.toString()};
for (let i = Atomics.add(next, 0, 1); i < done.length; i = Atomics.add(next, 0, 1)) {
  while (received[i] === undefined) {
    const seen = Atomics.load(posted, 0);
    const got = receiveMessageOnPort(parentPort);
    if (got !== undefined) received[got.message.index] = got.message;
    else Atomics.wait(posted, 0, seen, 50);
  }
  const { offset, bytes } = received[i];
  received[i] = null;
  verifyPacked(bytes, offset, results, valid);
  Atomics.store(done, i, 1);
  parentPort.postMessage(i);
}`;

/**
 * The signature checks an event needs: its own, plus a join request's or a new key's; a message that cannot be
 * derived (a signature field of the wrong size) is checked as empty and fails. The body is null when the
 * subject does not parse: the event then counts as unverified and the rules report it.
 */
function checksOf(wire: WireEvent): { checks: Check[]; body: EventBody | null } {
  const { event, bytes } = wire;
  let body: EventBody;
  try {
    body = parseEventBody(event, 'event');
  } catch {
    return { checks: [], body: null };
  }
  const check = (key: Uint8Array, signature: Uint8Array, parts: Uint8Array[] | null): Check => ({
    key,
    signature,
    parts: parts ?? [],
  });
  const checks = [check(event.actor, event.signature, signedMessageParts(bytes, 1))];
  if (body.kind === 'request' || body.kind === 'approve') {
    checks.push(check(body.request.key, body.request.signature, joinRequestParts(wire)));
  } else if (body.kind === 'rotate-key') {
    checks.push(check(body.next.key, body.keySignature, signedMessageParts(bytes, 2)));
  }
  return { checks, body };
}

/** Threads that check signatures chunk by chunk, with the calling thread joining in through `help`. */
class VerifierPool {
  readonly #next = new Int32Array(new SharedArrayBuffer(4));
  readonly #posted = new Int32Array(new SharedArrayBuffer(4));
  readonly #done: Uint8Array;
  /** One byte per check: 1 when it verified; 0 when it failed or was never checked (a worker died). */
  readonly results: Uint8Array;
  readonly #chunks: Chunk[] = [];
  readonly #workers: Worker[];
  #alive: number;
  #wake: (() => void) | null = null;

  constructor(chunks: number, maxChecks: number, threads: number) {
    this.#done = new Uint8Array(new SharedArrayBuffer(chunks));
    this.results = new Uint8Array(new SharedArrayBuffer(maxChecks));
    const workerData = { next: this.#next, posted: this.#posted, results: this.results, done: this.#done };
    this.#workers = Array.from(
      { length: threads },
      () => new Worker(WORKER_SOURCE, { eval: true, workerData }),
    );
    this.#alive = threads;
    for (const worker of this.#workers) {
      const wake = (): void => {
        this.#wake?.();
      };
      worker.on('message', wake);
      worker.on('error', () => {}); // its unfinished chunk stays unverified; the rules check it again
      worker.once('exit', () => {
        this.#alive--;
        wake();
      });
    }
  }

  post(chunk: Chunk): void {
    this.#chunks.push(chunk);
    for (const worker of this.#workers) worker.postMessage(chunk);
    Atomics.add(this.#posted, 0, 1);
    Atomics.notify(this.#posted, 0);
  }

  /** Checks chunks on this thread until none is left to claim, then waits for the workers' last ones. */
  async help(): Promise<void> {
    for (let i = Atomics.add(this.#next, 0, 1); i < this.#done.length; i = Atomics.add(this.#next, 0, 1)) {
      const { offset, bytes } = this.#chunks[i]!;
      verifyPacked(bytes, offset, this.results, verifyEd25519);
      Atomics.store(this.#done, i, 1);
    }
    while (this.#alive > 0 && this.#done.includes(0)) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  close(): void {
    for (const worker of this.#workers) void worker.terminate();
  }
}

/**
 * Adds `events` to `tree` as mergeEvents does, and returns the tree that holds the result. A large batch is
 * checked optimistically: signatures on every core while this thread runs the rules on a copy of the tree;
 * if every signature and rule passed, that copy is the result. Otherwise the batch is merged into `tree`
 * itself on the exact sequential path (events whose signatures were not all verified are checked again), so
 * the error, naming the first bad event, is the one a one-by-one merge reports. On error the tree returned
 * or passed may hold part of the batch: callers discard it (all or nothing).
 */
export async function mergeVerified(
  tree: MemberTree,
  events: readonly (EventObject | WireEvent)[],
  now: number,
): Promise<{ tree: MemberTree; merged: MergeResult }> {
  if (events.length < PARALLEL_THRESHOLD) return { tree, merged: mergeEvents(tree, events, now) };
  const chunks = Math.ceil(events.length / CHUNK_EVENTS);
  const threads = Math.max(1, Math.min(availableParallelism(), 4) - 1);
  // Workers start first: their start-up overlaps the encoding below.
  const pool = new VerifierPool(chunks, events.length * 2, threads);
  try {
    const prepared: PreparedEvent[] = [];
    const spans: [offset: number, count: number][] = [];
    let offset = 0;
    for (let c = 0; c < chunks; c++) {
      const first = offset;
      const chunkChecks: Check[] = [];
      for (const item of events.slice(c * CHUNK_EVENTS, (c + 1) * CHUNK_EVENTS)) {
        const wire = asWireEvent(item);
        const { checks, body } = checksOf(wire);
        prepared.push({ ...wire, signaturesVerified: true, body: body ?? undefined });
        spans.push([offset, checks.length]);
        chunkChecks.push(...checks);
        offset += checks.length;
      }
      pool.post({ index: c, offset: first, bytes: packChecks(chunkChecks) });
    }
    const trial = tree.clone();
    let optimistic: MergeResult | null = null;
    try {
      optimistic = mergeEvents(trial, prepared, now);
    } catch {
      // Reported below, by the sequential path.
    }
    await pool.help();
    const verified = spans.map(
      ([at, count]) => count > 0 && pool.results.subarray(at, at + count).every(Boolean),
    );
    if (optimistic !== null && verified.every(Boolean)) return { tree: trial, merged: optimistic };
    const exact = prepared.map((held, i) => ({ ...held, signaturesVerified: verified[i]! }));
    return { tree, merged: mergeEvents(tree, exact, now) };
  } finally {
    pool.close();
  }
}
