import fc from 'fast-check';
import t from 'tap';
import { EnvSyncError } from '../../src/errors.ts';
import { decodeObject, encodeObject } from '../../src/store/objects.ts';
import { mutate, mutation } from './mutations.ts';
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
