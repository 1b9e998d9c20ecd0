// Adding a large batch of events (a fresh peer's first fetch) with its Ed25519 checks on every core: those
// checks dominate the verification of a 10,000-event chain (bench/membership.mjs, docs/performance.md).

import type { EventObject } from '../store/objects.ts';
import { type EventBody, parseEventBody } from './event-format.ts';
import { type MergeResult, mergeEvents, type Prechecked } from './merge-events.ts';
import { type Check, type SignaturePool, signaturePool } from './signature-pool.ts';
import { asWireEvent, joinRequestParts, signedMessageParts, type WireEvent } from './signing.ts';
import { subjectKeyProblem } from './subject-keys.ts';
import type { MemberTree } from './tree.ts';

/** Below this many events the threads cost more than they save. */
export const PARALLEL_THRESHOLD = 512;
/** Events per unit of work the threads claim: small enough to balance, large enough to post cheaply. */
const CHUNK_EVENTS = 64;

/**
 * The signature checks an event needs: its own, plus a join request's or a new key's; a message that cannot be
 * derived (a signature field of the wrong size) is checked as empty and fails. The body is null when the
 * subject does not parse: the event then counts as unverified and the rules report it.
 */
function checksOf(wire: WireEvent, into: Check[]): EventBody | null {
  const { event, bytes } = wire;
  let body: EventBody;
  try {
    body = parseEventBody(event, 'event');
  } catch {
    return null;
  }
  // An invalid key leaves the event unverified: the rules then refuse it, naming the peer.
  if (subjectKeyProblem(event, body, 'signature') !== null) return null;
  into.push({ key: event.actor, signature: event.signature, parts: signedMessageParts(bytes, 1) ?? [] });
  if (body.kind === 'request' || body.kind === 'approve') {
    const { key, signature } = body.request;
    into.push({ key, signature, parts: joinRequestParts(wire) ?? [] });
  } else if (body.kind === 'rotate-key') {
    into.push({
      key: body.next.key,
      signature: body.keySignature,
      parts: signedMessageParts(bytes, 2) ?? [],
    });
  }
  return body;
}

interface Entry {
  readonly body: EventBody | null;
  /** The chunk's results, and where this event's checks are in them. */
  results: Uint8Array | null;
  readonly first: number;
  readonly count: number;
}

/**
 * The signatures of events fed one by one (`add`, e.g. while a fetch walks the events it received), checked on
 * other threads (signature-pool.ts) as each chunk fills, and on this thread too once `settle` is called. An event counts as
 * verified only if it is the very object that was fed and every one of its checks passed.
 */
export class SignatureBatch implements Prechecked {
  readonly #pool: SignaturePool;
  readonly #entries = new Map<WireEvent, Entry>();
  #pending: Check[] = [];
  #waiting: Entry[] = [];
  #settled: Promise<void> | null = null;

  /** `pool`: where the checks run (by default the native addon's if it is there, else JS workers). */
  constructor(pool: SignaturePool = signaturePool()) {
    this.#pool = pool;
  }

  add(wire: WireEvent): void {
    if (this.#settled !== null || this.#entries.has(wire)) return;
    const first = this.#pending.length;
    const body = checksOf(wire, this.#pending);
    const entry: Entry = { body, results: null, first, count: this.#pending.length - first };
    this.#entries.set(wire, entry);
    this.#waiting.push(entry);
    if (this.#waiting.length >= CHUNK_EVENTS) this.#post();
  }

  #post(): void {
    if (this.#waiting.length === 0) return;
    const results = this.#pool.post(this.#pending);
    for (const entry of this.#waiting) entry.results = results;
    this.#pending = [];
    this.#waiting = [];
  }

  /** Posts what is left and waits until every check is done (this thread helping). */
  settle(): Promise<void> {
    if (this.#settled === null) {
      this.#post();
      this.#settled = this.#pool.finish();
    }
    return this.#settled;
  }

  /** Stops the threads (settle does too); results not in by then stay unverified. */
  close(): void {
    this.#pool.close();
  }

  /** The body parsed when `wire` was fed (undefined: not fed, or its subject did not parse). */
  body(wire: WireEvent): EventBody | undefined {
    return this.#entries.get(wire)?.body ?? undefined;
  }

  /** True when `wire` was fed and every signature it carries verified; only meaningful after settle. */
  verified(wire: WireEvent): boolean {
    const entry = this.#entries.get(wire);
    if (entry === undefined || entry.results === null || entry.count === 0 || entry.body === null)
      return false;
    for (let i = entry.first; i < entry.first + entry.count; i++) if (entry.results[i] !== 1) return false;
    return true;
  }
}

/**
 * Adds `events` to `tree` as mergeEvents does, and returns the tree that holds the result. A large batch, or
 * one whose signatures `batch` has been checking already (fed with these very objects), is checked
 * optimistically: signatures on every core while this thread runs the rules on a copy of the tree; if every
 * signature and rule passed, that copy is the result. Otherwise the batch is merged into `tree` itself on the
 * exact sequential path (events whose signatures were not all verified are checked again), so the error,
 * naming the first bad event, is the one a one-by-one merge reports. On error the tree returned or passed may
 * hold part of the batch: callers discard it (all or nothing). `batch` is settled and closed here.
 * `whileChecking` gets the optimistic result, once its rules passed, while the signatures are still being
 * checked (work for this thread that would otherwise follow them).
 */
export async function mergeVerified(
  tree: MemberTree,
  events: readonly (EventObject | WireEvent)[],
  now: number,
  batch?: SignatureBatch,
  whileChecking?: (trial: MemberTree) => void,
): Promise<{ tree: MemberTree; merged: MergeResult }> {
  if (batch === undefined && events.length < PARALLEL_THRESHOLD) {
    return { tree, merged: mergeEvents(tree, events, now) };
  }
  const checking = batch ?? new SignatureBatch();
  try {
    const wires = events.map(asWireEvent);
    for (const wire of wires) checking.add(wire);
    const trial = tree.clone();
    let optimistic: MergeResult | null = null;
    try {
      optimistic = mergeEvents(trial, wires, now, {
        body: (wire) => checking.body(wire),
        verified: () => true,
      });
      whileChecking?.(trial);
    } catch {
      // Reported below, by the sequential path.
    }
    await checking.settle();
    if (optimistic !== null && wires.every((wire) => checking.verified(wire))) {
      return { tree: trial, merged: optimistic };
    }
    return { tree, merged: mergeEvents(tree, wires, now, checking) };
  } finally {
    checking.close();
  }
}
