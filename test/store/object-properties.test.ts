import fc from 'fast-check';
import t from 'tap';
import { EnvSyncError } from '../../src/errors.ts';
import { decodeObject, encodeObject } from '../../src/store/objects.ts';
import { validObject } from './sample-objects.ts';

t.test('random valid objects round-trip bytes → object → bytes exactly', async () => {
  fc.assert(
    fc.property(validObject, (object) => {
      const bytes = encodeObject(object);
      return Buffer.compare(encodeObject(decodeObject(bytes, 'object x')), bytes) === 0;
    }),
    { numRuns: 500 },
  );
});

// A mutation: overwrite, insert or delete a byte, or truncate.
interface Mutation {
  readonly kind: 'set' | 'insert' | 'delete' | 'truncate';
  readonly at: number;
  readonly byte: number;
}
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }),
);

function mutate(bytes: Uint8Array, m: Mutation): Buffer {
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

t.test(
  'a mutated object is refused with an EnvSyncError or decodes to exactly the mutated bytes',
  async (t) => {
    let refused = 0;
    let accepted = 0;
    fc.assert(
      fc.property(validObject, fc.array(mutation, { minLength: 1, maxLength: 3 }), (object, mutations) => {
        const mutated = mutations.reduce<Uint8Array>((bytes, m) => mutate(bytes, m), encodeObject(object));
        let decoded: ReturnType<typeof decodeObject>;
        try {
          decoded = decodeObject(mutated, 'object x');
        } catch (error) {
          refused++;
          return error instanceof EnvSyncError && /^object x/.test(error.message);
        }
        accepted++;
        return Buffer.compare(encodeObject(decoded), mutated) === 0;
      }),
      { numRuns: 3000 },
    );
    t.ok(refused > accepted, `most mutations are refused (${refused} refused, ${accepted} accepted)`);
  },
);
