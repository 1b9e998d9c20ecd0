// Random byte mutations for property tests of parsers of untrusted bytes (objects, packs, indexes).

import fc from 'fast-check';

/** A mutation: overwrite, insert or delete a byte, or truncate. */
export interface Mutation {
  readonly kind: 'set' | 'insert' | 'delete' | 'truncate';
  readonly at: number;
  readonly byte: number;
}

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }),
);

/** Applies `m` to a copy of `bytes`; the result always differs from `bytes`. */
export function mutate(bytes: Uint8Array, m: Mutation): Buffer {
  const at = m.at % (bytes.length + (m.kind === 'insert' ? 1 : 0));
  const b = Buffer.from(bytes);
  switch (m.kind) {
    case 'set':
      b[at] = m.byte === b[at] ? (m.byte + 1) % 256 : m.byte;
      return b;
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    default:
      return b.subarray(0, at);
  }
}
