// Ed25519 checks on other threads, fed chunk by chunk while the caller is still reading events: the checks
// dominate the verification of a long chain (bench/membership.mjs, docs/performance.md#membership). Two ways,
// with the same verdicts (both are OpenSSL's Ed25519 verify, as node:crypto's verify): the native addon
// src/native/ed25519-batch.c on libuv's thread pool where it is built (NativeSignaturePool), else JS worker
// threads (WorkerSignaturePool). signaturePool() picks.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { verifyEd25519 } from './signing.ts';

/** One signature check; the message is its parts one after the other (none: it cannot be derived, and fails). */
export interface Check {
  readonly key: Uint8Array;
  readonly signature: Uint8Array;
  readonly parts: readonly Uint8Array[];
}

/** A posted chunk: its checks packed (packChecks), and one result byte per check then a done byte. */
interface Chunk {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly results: Uint8Array;
}

/**
 * A chunk's checks as one shared buffer, which every thread reads the same way (verifyPacked): per check, 1 if
 * the key has 32 bytes, the signature 64 and the message could be derived (else 0: it fails unchecked), key,
 * signature, message length (uint32 BE) and message. Posting it shares memory; posting arrays would clone
 * three objects per check, and each message is written here once, straight from the event's bytes.
 */
export function packChecks(checks: readonly Check[]): Uint8Array {
  let size = 101 * checks.length;
  for (const { parts } of checks) for (const part of parts) size += part.length;
  const bytes = new Uint8Array(new SharedArrayBuffer(size));
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
    const length = end - at - 101;
    bytes[at + 97] = length >>> 24;
    bytes[at + 98] = (length >>> 16) & 0xff;
    bytes[at + 99] = (length >>> 8) & 0xff;
    bytes[at + 100] = length & 0xff;
    at = end;
  }
  return bytes;
}

/**
 * Checks every signature of a packed chunk with `valid`, writing 1 (verified) or 0 into `results`, then 1 into
 * the done byte after them. Self-contained: the worker runs this same function, from its source text.
 */
export function verifyPacked(
  bytes: Uint8Array,
  results: Uint8Array,
  valid: (key: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean,
): void {
  let k = 0;
  for (let at = 0; at < bytes.length; k++) {
    const length =
      ((bytes[at + 97]! << 24) | (bytes[at + 98]! << 16) | (bytes[at + 99]! << 8)) + bytes[at + 100]!;
    const end = at + 101 + length;
    const ok =
      bytes[at] === 1 &&
      valid(bytes.subarray(at + 1, at + 33), bytes.subarray(at + 101, end), bytes.subarray(at + 33, at + 97));
    results[k] = ok ? 1 : 0;
    at = end;
  }
  Atomics.store(results, k, 1);
}

// The worker claims chunk numbers from a shared counter, pulls the chunks off its port synchronously (waiting
// on `posted` until the main thread has sent them, or has closed the batch with fewer), verifies each into its
// results and says so. `valid` is verifyEd25519's check (a JWK import per key, kept), self-contained so that
// it runs as a small eval'd script: the worker loads node:crypto and nothing of the CLI's bundle.
const WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const { next, posted, total } = workerData;
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
function chunk(i) {
  for (;;) {
    if (received[i] !== undefined) return received[i];
    const seen = Atomics.load(posted, 0);
    const got = receiveMessageOnPort(parentPort);
    if (got !== undefined) { received[got.message.index] = got.message; continue; }
    const last = Atomics.load(total, 0);
    if (last >= 0 && i >= last) return null;
    Atomics.wait(posted, 0, seen, 50);
  }
}
for (let i = Atomics.add(next, 0, 1), c = chunk(i); c !== null; i = Atomics.add(next, 0, 1), c = chunk(i)) {
  received[i] = null;
  verifyPacked(c.bytes, c.results, valid);
  parentPort.postMessage(i);
}`;

/** Worker threads for signature checks: one fewer than the cores (1–3); this thread is the last one. */
const defaultThreads = (): number => Math.max(1, Math.min(availableParallelism(), 4) - 1);

/** Checks signatures chunk by chunk as they are posted, on other threads; the calling thread joins in at the end. */
export interface SignaturePool {
  /** Posts `checks` as the next chunk; returns where their results will be (one byte each, 1 = verified). */
  post(checks: readonly Check[]): Uint8Array;
  /** No more chunks: checks those no thread has taken on this one, then waits for the others'. */
  finish(): Promise<void>;
  /** Stops: results not in by then stay unverified (0). */
  close(): void;
}

/** The functions of dist/ed25519-batch.node (src/native/ed25519-batch.c, which documents them). */
export interface Ed25519BatchAddon {
  createPool(maxLanes: number, settled: () => void): object;
  post(pool: object, bytes: Uint8Array, results: Uint8Array): void;
  help(pool: object): void;
  close(pool: object, drop: boolean): void;
}

// How this code finds the addon. It runs as the CLI's bundle (dist/main.cjs, loaded by bin/env-sync.js), as
// the benchmarks' bundles (bench/.work/) and as TypeScript under tsx (the tests): three places relative to the
// addon in dist/, and the bundle is CommonJS, where import.meta.url is not available. So the one that knows
// where dist/ is, bin/env-sync.js (as it does for replace-process.node), registers a loader under this global
// symbol before running the bundle; bench/membership.mjs does the same. Where no loader is registered (tests
// under tsx, an embedder), or the addon is not built (Windows, no compiler), or fails to load, the JS workers
// check the signatures. Tests hand the addon in explicitly, to test both.
const ADDON_LOADER = Symbol.for('env-sync.loadEd25519Batch');
let addon: Ed25519BatchAddon | null | undefined;

/** The native addon, if a loader is registered and it loads (tried once). */
export function ed25519BatchAddon(): Ed25519BatchAddon | null {
  if (addon === undefined) {
    const load = (globalThis as { [ADDON_LOADER]?: () => Ed25519BatchAddon | null })[ADDON_LOADER];
    try {
      addon = load?.() ?? null;
    } catch {
      addon = null;
    }
  }
  return addon;
}

/** The native pool when the addon is there, else JS workers. */
export function signaturePool(native: Ed25519BatchAddon | null = ed25519BatchAddon()): SignaturePool {
  return native === null ? new WorkerSignaturePool() : new NativeSignaturePool(native);
}

/**
 * Lanes of the native pool: two on two cores or more (of libuv's four threads, leaving two to file system calls
 * made meanwhile), with the calling thread decoding events meanwhile and joining in at the end.
 */
const defaultLanes = (): number => Math.min(availableParallelism(), 2);

/**
 * Checks on libuv's pool through the native addon: no thread to start, no JS per check. A lane starts when a
 * chunk is posted and ends when it finds none left; `finish` verifies what no lane took on this thread.
 */
export class NativeSignaturePool implements SignaturePool {
  readonly #addon: Ed25519BatchAddon;
  readonly #pool: object;
  /** Referenced here until every lane has ended: the lanes write into them (see the addon's comment). */
  readonly #chunks: Chunk[] = [];
  #wake: (() => void) | null = null;
  #closed = false;

  constructor(native: Ed25519BatchAddon, lanes = defaultLanes()) {
    this.#addon = native;
    // The addon holds this callback (and, through it, this pool and its chunks) until its last lane ends.
    this.#pool = native.createPool(lanes, () => this.#wake?.());
  }

  post(checks: readonly Check[]): Uint8Array {
    // After close, as the worker pool does: the checks stay unverified (the addon would refuse the chunk).
    if (this.#closed) return new Uint8Array(checks.length);
    const chunk: Chunk = {
      index: this.#chunks.length,
      bytes: packChecks(checks),
      results: new Uint8Array(new SharedArrayBuffer(checks.length + 1)),
    };
    this.#chunks.push(chunk);
    this.#addon.post(this.#pool, chunk.bytes, chunk.results);
    return chunk.results.subarray(0, checks.length);
  }

  async finish(): Promise<void> {
    if (this.#closed) return; // closed (or finished) already: what is not in stays unverified
    this.#closed = true;
    this.#addon.close(this.#pool, false);
    this.#addon.help(this.#pool);
    // Every chunk is now done or held by a lane, whose end calls `settled` after its last done byte.
    const done = (chunk: Chunk): boolean => Atomics.load(chunk.results, chunk.results.length - 1) === 1;
    while (!this.#chunks.every(done)) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#addon.close(this.#pool, true);
  }
}

/**
 * Worker threads that check signatures chunk by chunk as they are posted; the calling thread joins in with
 * `finish`. Workers start in the constructor, so that their start-up overlaps whatever the caller does next.
 */
export class WorkerSignaturePool implements SignaturePool {
  readonly #next = new Int32Array(new SharedArrayBuffer(4));
  readonly #posted = new Int32Array(new SharedArrayBuffer(4));
  /** -1 while chunks may still come; then how many there are. */
  readonly #total = new Int32Array(new SharedArrayBuffer(4)).fill(-1);
  readonly #chunks: Chunk[] = [];
  readonly #workers: Worker[];
  #alive: number;
  #wake: (() => void) | null = null;

  constructor(threads = defaultThreads()) {
    const workerData = { next: this.#next, posted: this.#posted, total: this.#total };
    this.#workers = Array.from(
      { length: threads },
      () => new Worker(WORKER_SOURCE, { eval: true, workerData }),
    );
    this.#alive = threads;
    const wake = (): void => {
      this.#wake?.();
    };
    for (const worker of this.#workers) {
      worker.on('message', wake);
      worker.on('error', () => {}); // its unfinished chunk stays unverified; the caller checks it again
      worker.once('exit', () => {
        this.#alive--;
        wake();
      });
    }
  }

  post(checks: readonly Check[]): Uint8Array {
    const chunk: Chunk = {
      index: this.#chunks.length,
      bytes: packChecks(checks),
      results: new Uint8Array(new SharedArrayBuffer(checks.length + 1)),
    };
    this.#chunks.push(chunk);
    for (const worker of this.#workers) worker.postMessage(chunk);
    this.#signal();
    return chunk.results.subarray(0, checks.length);
  }

  #signal(): void {
    Atomics.add(this.#posted, 0, 1);
    Atomics.notify(this.#posted, 0);
  }

  /**
   * No more chunks: checks those no thread has claimed on this one, waits for the workers' last ones (or
   * their exit), then stops them. A chunk a dead worker held stays unverified (all zeros).
   */
  async finish(): Promise<void> {
    const chunks = this.#chunks;
    Atomics.store(this.#total, 0, chunks.length);
    this.#signal();
    for (let i = Atomics.add(this.#next, 0, 1); i < chunks.length; i = Atomics.add(this.#next, 0, 1)) {
      verifyPacked(chunks[i]!.bytes, chunks[i]!.results, verifyEd25519);
    }
    const done = (chunk: Chunk): boolean => Atomics.load(chunk.results, chunk.results.length - 1) === 1;
    while (this.#alive > 0 && !chunks.every(done)) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
    this.close();
  }

  close(): void {
    Atomics.store(this.#total, 0, this.#chunks.length);
    this.#signal();
    for (const worker of this.#workers) void worker.terminate();
  }
}
