import fc from 'fast-check';
import t from 'tap';
import { closest, didYouMean } from '../../src/suggest.ts';

t.test('the closest name within a third of the length in edits, nearest first, then by name', async (t) => {
  t.equal(closest('sett', ['set', 'get', 'reset']), 'set');
  t.equal(closest('DATABSE_URL', ['DATABASE_URL', 'API_KEY']), 'DATABASE_URL');
  t.equal(closest('zzz', ['set', 'get']), null, 'nothing close');
  t.equal(closest('gt', ['get', 'set']), 'get', 'a short word allows one edit');
  t.equal(closest('bat', ['cat', 'bar']), 'bar', 'a tie goes to the first name in order');
  t.equal(closest('database_url', ['DATABASE_URL']), 'DATABASE_URL', 'case counts for nothing');
  t.equal(didYouMean('orign', ['origin', 'backup']), " (did you mean 'origin'?)");
  t.equal(didYouMean('x', []), '');
});

t.test('a suggestion is always one of the candidates and never the typed word', async (t) => {
  const property = fc.property(
    fc.string({ maxLength: 12 }),
    fc.array(fc.string({ maxLength: 12 }), { maxLength: 8 }),
    (typed, names) => {
      const found = closest(typed, names);
      return found === null || (names.includes(found) && found !== typed);
    },
  );
  t.doesNotThrow(() => fc.assert(property));
});
