// What a receiver needs of each object it is sent (docs/protocol.md#receiving-a-pack): proof that the bytes are
// a canonical object of a known type, that type, and the objects it refers to. Plain snapshots (nearly all of a
// large pack's bytes) and commits are checked in place, without building the decoded object.

import { isUtf8 } from 'node:buffer';
import {
  MAX_KEY_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_OBJECT_BYTES,
  MAX_PARENTS,
  MAX_SNAPSHOT_ENTRIES,
} from '../store/limits.ts';
import type { ObjectId } from '../store/object-id.ts';
import { decodeObject, type ObjectType } from '../store/objects.ts';
import { type Reference, referencesOf } from '../store/references.ts';
import { type SharedBytes, sameBytes } from './shared-bytes.ts';

export interface CheckedObject {
  readonly type: ObjectType;
  /** Ids it refers to, with the type each must have. */
  readonly refs: readonly Reference[];
}

const NO_REFS: CheckedObject['refs'] = [];
const PLAIN_SNAPSHOT: CheckedObject = { type: 'snapshot', refs: NO_REFS };

/**
 * Checks untrusted bytes exactly as `decodeObject` does (throwing its errors); `what` names the object in them.
 * What the in-place checks accept, `decodeObject` accepts with the same references; whatever they do not
 * accept, valid or not, is decoded. `snapshots` checks a plain snapshot against the one it checked before (a
 * pack's history), with the same verdict; `shared` is what `bytes` is known to share with another object.
 */
export function checkObject(
  bytes: Uint8Array,
  what: string,
  snapshots?: PlainSnapshotChecker,
  shared?: SharedBytes,
): CheckedObject {
  if (snapshots === undefined ? isCanonicalPlainSnapshot(bytes) : snapshots.check(bytes, shared))
    return PLAIN_SNAPSHOT;
  const commitRefs = canonicalCommitReferences(bytes);
  if (commitRefs !== null) return { type: 'commit', refs: commitRefs };
  const object = decodeObject(bytes, what);
  return { type: object.type, refs: referencesOf(object) };
}

// ['snapshot', 1, 'plain', …] in canonical msgpack: a 4-array, two fixstrs and the fixint 1.
const PLAIN_PREFIX = Buffer.from([
  0x94,
  0xa8,
  ...Buffer.from('snapshot'),
  0x01,
  0xa5,
  ...Buffer.from('plain'),
]);

/** Bytes allowed in a key name (KEY_NAME_PATTERN, `^[A-Za-z_][A-Za-z0-9_.-]*$`): 1 anywhere, 2 after the first. */
const KEY_BYTE = new Uint8Array(256);
for (let byte = 0; byte < 128; byte++) {
  const char = String.fromCharCode(byte);
  if (/[A-Za-z_]/.test(char)) KEY_BYTE[byte] = 1;
  else if (/[0-9.-]/.test(char)) KEY_BYTE[byte] = 2;
}

/**
 * True only for the canonical encoding of a valid plain snapshot: the prefix above, then an array of
 * `[key, value]` string pairs, every length in its smallest form, keys valid names in strictly ascending
 * order, values well-formed UTF-8, nothing after. Anything else is false, valid or not: the caller then
 * decodes it. Keys are ASCII, so their byte order is the string order `decodeObject` checks.
 * test/sync/object-check.test.ts holds it to `decodeObject`'s verdicts.
 */
export function isCanonicalPlainSnapshot(bytes: Uint8Array): boolean {
  return plainSnapshotEntries(bytes) !== null;
}

/**
 * Where each entry (`[key, value]`) of a canonical plain snapshot starts; the last element is where the entries
 * end, which is the end of the object.
 */
type EntryStarts = Int32Array;

/** The entry starts of `bytes` if it is a canonical plain snapshot (isCanonicalPlainSnapshot), else null. */
function plainSnapshotEntries(bytes: Uint8Array): EntryStarts | null {
  const end = bytes.length;
  const prefix = PLAIN_PREFIX.length;
  if (end <= prefix || end > MAX_OBJECT_BYTES) return null;
  for (let i = 0; i < prefix; i++) if (bytes[i] !== PLAIN_PREFIX[i]) return null;
  let at = prefix;
  let count: number;
  const head = bytes[at++]!;
  if (head >= 0x90 && head <= 0x9f) count = head - 0x90;
  else if (head === 0xdc && at + 2 <= end) {
    count = (bytes[at]! << 8) | bytes[at + 1]!;
    at += 2;
    if (count < 16) return null;
  } else if (head === 0xdd && at + 4 <= end) {
    count = bytes[at]! * 2 ** 24 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
    at += 4;
    if (count < 0x10000) return null;
  } else return null;
  if (count > MAX_SNAPSHOT_ENTRIES) return null;
  const starts = new Int32Array(count + 1);
  return checkEntries(bytes, starts, 0, at, -1, null) ? starts : null;
}

/**
 * Entries a snapshot shares with one checked before it: from entry `from` on, every entry of `known` lies in
 * the new bytes verbatim, `shift` bytes later (the difference of their lengths), up to the end.
 */
interface KnownTail {
  readonly starts: EntryStarts;
  readonly from: number;
  readonly shift: number;
}

/**
 * Checks the entries of a plain snapshot from entry `first`, which starts at byte `at`, to the last
 * (`starts.length - 1` entries in all), recording where each starts; `keyEntry` is the start of the entry
 * before `first` (-1 for none), whose key the first key must follow. Once an entry starts where an entry of
 * `known` at the same index does (shifted), the rest is that snapshot's entries, checked then: only its first key
 * is compared with the key before it. True when every entry is canonical and the last ends the bytes.
 */
function checkEntries(
  bytes: Uint8Array,
  starts: EntryStarts,
  first: number,
  start: number,
  keyEntry: number,
  known: KnownTail | null,
): boolean {
  const end = bytes.length;
  const count = starts.length - 1;
  let at = start;
  let previousAt = -1;
  let previousLength = 0;
  if (keyEntry >= 0) {
    previousLength = stringLength(bytes, keyEntry + 1);
    previousAt = stringStart(bytes, keyEntry + 1);
  }
  for (let entry = first; entry < count; entry++) {
    starts[entry] = at;
    if (known !== null && entry >= known.from && known.starts[entry]! + known.shift === at) {
      const length = stringLength(bytes, at + 1);
      const keyAt = stringStart(bytes, at + 1);
      if (previousAt >= 0 && !ascending(bytes, previousAt, previousLength, keyAt, length)) return false;
      if (known.shift === 0) starts.set(known.starts.subarray(entry + 1), entry + 1);
      else for (let rest = entry + 1; rest <= count; rest++) starts[rest] = known.starts[rest]! + known.shift;
      return true;
    }
    if (at >= end || bytes[at++] !== 0x92) return false;
    // The key: a name of 1 to MAX_KEY_BYTES ASCII characters.
    let length = stringLength(bytes, at);
    if (length < 0) return false;
    at = stringStart(bytes, at);
    if (length === 0 || length > MAX_KEY_BYTES || at + length > end) return false;
    if (KEY_BYTE[bytes[at]!] !== 1) return false;
    for (let i = 1; i < length; i++) if (KEY_BYTE[bytes[at + i]!] === 0) return false;
    if (previousAt >= 0 && !ascending(bytes, previousAt, previousLength, at, length)) return false;
    previousAt = at;
    previousLength = length;
    at += length;
    // The value: any well-formed UTF-8.
    if (at >= end) return false;
    length = stringLength(bytes, at);
    if (length < 0) return false;
    at = stringStart(bytes, at);
    if (at + length > end) return false;
    const valueEnd = at + length;
    let high = 0;
    for (let i = at; i < valueEnd; i++) high |= bytes[i]!;
    if (high >= 0x80 && !isUtf8(bytes.subarray(at, valueEnd))) return false;
    at = valueEnd;
  }
  starts[count] = at;
  return at === end;
}

/**
 * Checks plain snapshots that arrive one after another, as a pack sends a history: consecutive snapshots share
 * nearly all their bytes (a commit changes a few values), so each is compared with the last one accepted and
 * only the entries between their common head and their common tail are checked. The verdict is
 * isCanonicalPlainSnapshot's: a shared entry was checked in the last snapshot, where it sat between the same
 * bytes, and each key is still compared with the key before it. Comparing bytes is native and cheap; checking
 * them one by one was most of the time a fresh process spent receiving a large pack.
 */
export class PlainSnapshotChecker {
  #last: { readonly bytes: Uint8Array; readonly starts: EntryStarts } | null = null;
  /** Where the entry starts of the next snapshot go: the last one's are read meanwhile (no allocation each). */
  #spare: EntryStarts = new Int32Array(0);

  /**
   * isCanonicalPlainSnapshot(bytes). `shared`, when given, says that `bytes` begins with the first `head` bytes
   * of `base` and ends with its last `tail` bytes (a delta frame was applied to it): if `base` is the snapshot
   * checked last, no bytes are compared to find what they share.
   */
  check(bytes: Uint8Array, shared?: SharedBytes): boolean {
    if (bytes[0] !== PLAIN_PREFIX[0]) return false; // a commit or an event, before any work
    const last = this.#last;
    const count = last === null ? -1 : last.starts.length - 1;
    if (count >= 0 && this.#spare.length !== count + 1) this.#spare = new Int32Array(count + 1);
    const starts =
      last === null
        ? plainSnapshotEntries(bytes)
        : entriesAgainst(last, bytes, shared?.base === last.bytes ? shared : null, this.#spare);
    if (starts === null) return false;
    if (last !== null && starts === this.#spare) this.#spare = last.starts;
    this.#last = { bytes, starts };
    return true;
  }

  /** Forgets the snapshot checked last unless it is `bytes`: the caller may then reuse any other memory. */
  keepOnly(bytes: Uint8Array): void {
    if (this.#last?.bytes !== bytes) this.#last = null;
  }
}

/**
 * plainSnapshotEntries(next), checking only what `next` does not share with `last`, a canonical plain snapshot;
 * `shared` says what they share (else it is found by comparing bytes). The entry starts are written into
 * `spare` (as many as `last` has), unless the entry count differs.
 */
function entriesAgainst(
  last: { bytes: Uint8Array; starts: EntryStarts },
  next: Uint8Array,
  shared: SharedBytes | null,
  spare: EntryStarts,
): EntryStarts | null {
  const { bytes: previous, starts: known } = last;
  const headerEnd = known[0]!;
  // Another prefix or entry count (an added or removed key): nothing to share.
  const sameHeader =
    shared === null
      ? next.length >= headerEnd && sameBytes(previous, 0, next, 0, headerEnd)
      : shared.head >= headerEnd;
  if (next.length > MAX_OBJECT_BYTES || !sameHeader) return plainSnapshotEntries(next);
  const shift = next.length - previous.length;
  const [same, tail] =
    shared === null ? sharedEntries(previous, known, next) : sharedEntriesOf(known, shift, shared);
  const starts = spare;
  starts.set(known.subarray(0, same + 1));
  const keyEntry = same > 0 ? known[same - 1]! : -1;
  return checkEntries(next, starts, same, known[same]!, keyEntry, { starts: known, from: tail, shift })
    ? starts
    : null;
}

/**
 * For two snapshots with the same header: the head, the most entries that start both alike, and the tail, the
 * first entry past the head from which `previous` ends exactly as `next` does (both found by binary search).
 */
function sharedEntries(previous: Uint8Array, known: EntryStarts, next: Uint8Array): [number, number] {
  const count = known.length - 1;
  let same = 0; // [known[0], known[same]) is equal
  for (let high = count; same < high; ) {
    const mid = (same + high + 1) >>> 1;
    const from = known[same]!;
    const to = known[mid]!;
    if (to <= next.length && sameBytes(previous, from, next, from, to - from)) same = mid;
    else high = mid - 1;
  }
  const shift = next.length - previous.length;
  const headEnd = known[same]!;
  const sharesTail = (entry: number, to: number) => {
    const from = known[entry]!;
    return from + shift >= headEnd && sameBytes(previous, from, next, from + shift, to - from);
  };
  // Most often one entry changed, the one after the head: that guess first.
  let tail = count;
  if (same + 1 < count && sharesTail(same + 1, previous.length)) tail = same + 1;
  else {
    for (let low = same + 2; low < tail; ) {
      const mid = (low + tail) >>> 1;
      if (sharesTail(mid, known[tail]!)) tail = mid;
      else low = mid + 1;
    }
  }
  return [same, tail];
}

/** sharedEntries when the shared bytes are known (`shared.head` at least the header): index arithmetic only. */
function sharedEntriesOf(known: EntryStarts, shift: number, shared: SharedBytes): [number, number] {
  const count = known.length - 1;
  let same = 0; // the last entry start within the shared head
  for (let high = count; same < high; ) {
    const mid = (same + high + 1) >>> 1;
    if (known[mid]! <= shared.head) same = mid;
    else high = mid - 1;
  }
  const headEnd = known[same]!;
  const tailStart = shared.base.length - shared.tail;
  let tail = count; // the first entry start within the shared tail, past the head
  for (let low = same; low < tail; ) {
    const mid = (low + tail) >>> 1;
    if (known[mid]! >= tailStart && known[mid]! + shift >= headEnd) tail = mid;
    else low = mid + 1;
  }
  return [same, tail];
}

// ['commit', 1, …]: an 8-array, a fixstr and the fixint 1.
const COMMIT_PREFIX = Buffer.from([0x98, 0xa6, ...Buffer.from('commit'), 0x01]);
const ID_BYTES = 32;

/**
 * The references of a canonical, valid commit whose author is ASCII, in `referencesOf` order (snapshot,
 * membership event, parents); null for anything else. Fields: snapshot id, parent ids (at most MAX_PARENTS,
 * distinct), author (1 to 128 characters), time (a uint32 in its smallest form), message (well-formed UTF-8,
 * at most MAX_MESSAGE_BYTES), membership event id or nil; nothing after.
 */
export function canonicalCommitReferences(bytes: Uint8Array): Reference[] | null {
  const end = bytes.length;
  if (end > MAX_OBJECT_BYTES || end < COMMIT_PREFIX.length) return null;
  for (let i = 0; i < COMMIT_PREFIX.length; i++) if (bytes[i] !== COMMIT_PREFIX[i]) return null;
  let at = COMMIT_PREFIX.length;
  const snapshot = idAt(bytes, at);
  if (snapshot === null) return null;
  at += 2 + ID_BYTES;
  const head = bytes[at++];
  if (head === undefined || head < 0x90 || (head > 0x9f && head !== 0xdc)) return null;
  let count = head - 0x90;
  if (head === 0xdc) {
    if (at + 2 > end) return null;
    count = (bytes[at]! << 8) | bytes[at + 1]!;
    at += 2;
    if (count < 16) return null;
  }
  if (count > MAX_PARENTS) return null;
  const parents: Reference[] = [];
  for (let i = 0; i < count; i++) {
    const parent = idAt(bytes, at);
    if (parent === null || parents.some((p) => p.id === parent)) return null;
    parents.push({ id: parent, type: 'commit' });
    at += 2 + ID_BYTES;
  }
  // The author: a peer id, 1 to 128 characters; only ASCII is taken here (its length is its byte count).
  let length = at < end ? stringLength(bytes, at) : -1;
  if (length < 1 || length > 128) return null;
  at = stringStart(bytes, at);
  if (at + length > end) return null;
  for (let i = at; i < at + length; i++) if (bytes[i]! >= 0x80) return null;
  at += length;
  at = uintEnd(bytes, at);
  if (at < 0 || at >= end) return null;
  length = stringLength(bytes, at);
  if (length < 0 || length > MAX_MESSAGE_BYTES) return null;
  at = stringStart(bytes, at);
  if (at + length > end || !isUtf8(bytes.subarray(at, at + length))) return null;
  at += length;
  const refs: Reference[] = [{ id: snapshot, type: 'snapshot' }];
  if (bytes[at] === 0xc0) at += 1;
  else {
    const members = idAt(bytes, at);
    if (members === null) return null;
    refs.push({ id: members, type: 'event' });
    at += 2 + ID_BYTES;
  }
  return at === end ? [...refs, ...parents] : null;
}

/** The hex id of the canonical 32-byte bin at `at` (`c4 20` and the bytes), or null. */
function idAt(bytes: Uint8Array, at: number): ObjectId | null {
  if (at + 2 + ID_BYTES > bytes.length || bytes[at] !== 0xc4 || bytes[at + 1] !== ID_BYTES) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset + at + 2, ID_BYTES).toString('hex') as ObjectId;
}

/** Where the canonical unsigned integer at `at` ends (it is at most 32 bits), or -1 if there is none. */
function uintEnd(bytes: Uint8Array, at: number): number {
  const head = bytes[at];
  if (head === undefined) return -1;
  if (head <= 0x7f) return at + 1;
  const size = head === 0xcc ? 1 : head === 0xcd ? 2 : head === 0xce ? 4 : 0;
  if (size === 0 || at + 1 + size > bytes.length) return -1;
  let value = 0;
  for (let i = 1; i <= size; i++) value = value * 256 + bytes[at + i]!;
  const least = size === 1 ? 0x80 : size === 2 ? 0x100 : 0x10000;
  return value >= least ? at + 1 + size : -1;
}

/** The length of the canonical string header at `at`, or -1 if there is none (or it is not minimal). */
function stringLength(bytes: Uint8Array, at: number): number {
  const end = bytes.length;
  const head = bytes[at]!;
  if (head >= 0xa0 && head <= 0xbf) return head - 0xa0;
  if (head === 0xd9 && at + 2 <= end) {
    const length = bytes[at + 1]!;
    return length >= 32 ? length : -1;
  }
  if (head === 0xda && at + 3 <= end) {
    const length = (bytes[at + 1]! << 8) | bytes[at + 2]!;
    return length >= 0x100 ? length : -1;
  }
  if (head === 0xdb && at + 5 <= end) {
    const length =
      bytes[at + 1]! * 2 ** 24 + ((bytes[at + 2]! << 16) | (bytes[at + 3]! << 8) | bytes[at + 4]!);
    return length >= 0x10000 ? length : -1;
  }
  return -1;
}

/** Where the string whose (valid) header is at `at` starts. */
function stringStart(bytes: Uint8Array, at: number): number {
  const head = bytes[at]!;
  return at + (head <= 0xbf ? 1 : head === 0xd9 ? 2 : head === 0xda ? 3 : 5);
}

/** True when the bytes at `b` are strictly greater than those at `a` (byte order). */
function ascending(bytes: Uint8Array, a: number, aLength: number, b: number, bLength: number): boolean {
  const shorter = Math.min(aLength, bLength);
  for (let i = 0; i < shorter; i++) {
    const x = bytes[a + i]!;
    const y = bytes[b + i]!;
    if (x !== y) return x < y;
  }
  return aLength < bLength;
}
