// Comparing runs of bytes, and what one object is known to share with another: both for checking a snapshot
// against the one before it and for delta frames.

/** What an object shares with another: its first `head` and last `tail` bytes are those of `base`. */
export interface SharedBytes {
  readonly base: Uint8Array;
  readonly head: number;
  readonly tail: number;
}

/**
 * Whether `length` bytes of `a` from `aFrom` equal those of `b` from `bFrom`. Through Uint8Array views and the
 * two-argument Buffer.compare: Buffer views and compare's offset arguments each cost a JavaScript call (checks
 * that run interpreted in a short-lived process) on top of the native comparison.
 */
export function sameBytes(
  a: Uint8Array,
  aFrom: number,
  b: Uint8Array,
  bFrom: number,
  length: number,
): boolean {
  const left = Uint8Array.prototype.subarray.call(a, aFrom, aFrom + length);
  const right = Uint8Array.prototype.subarray.call(b, bFrom, bFrom + length);
  return Buffer.compare(left, right) === 0;
}
