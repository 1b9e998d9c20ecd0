import fc from 'fast-check';
import t from 'tap';
import { baseLookup, mergeEntries, UNKNOWN } from '../../src/model/merge.ts';

const map = (o: Record<string, string>) => new Map(Object.entries(o));
const merge = (base: Record<string, string>, ours: Record<string, string>, theirs: Record<string, string>) =>
  mergeEntries(baseLookup([map(base)]), map(ours), map(theirs));

t.test('a key changed on one side takes that change', async (t) => {
  const r = merge({ A: '1', B: '1' }, { A: '2', B: '1' }, { A: '1', B: '3' });
  t.same(Object.fromEntries(r.entries), { A: '2', B: '3' });
  t.same(r.conflicts, []);
  t.same(r.changed, ['B']);
});

t.test('the same change on both sides is taken once; different changes conflict by key name', async (t) => {
  const r = merge({ A: '1', B: '1' }, { A: '2', B: 'x' }, { A: '2', B: 'y' });
  t.same(r.conflicts, ['B']);
  t.equal(r.entries.get('A'), '2');
});

t.test('deleted on one side and changed on the other is a conflict, not a silent loss', async (t) => {
  t.same(merge({ A: '1' }, {}, { A: '2' }).conflicts, ['A']);
  t.same(merge({ A: '1' }, { A: '2' }, {}).conflicts, ['A']);
  const deleted = merge({ A: '1', B: '1' }, { B: '1' }, { A: '1', B: '1' });
  t.same(Object.fromEntries(deleted.entries), { B: '1' }, 'a deletion on one side is kept');
});

t.test('resolutions pick a side per key', async (t) => {
  const r = mergeEntries(
    baseLookup([map({ A: '1', B: '1' })]),
    map({ A: 'o', B: 'o' }),
    map({ A: 't', B: 't' }),
    (k) => (k === 'A' ? 'theirs' : 'ours'),
  );
  t.same(Object.fromEntries(r.entries), { A: 't', B: 'o' });
  t.same(r.resolved, ['A', 'B']);
  t.same(r.conflicts, []);
});

t.test('several merge bases that disagree on a key make differing sides conflict', async (t) => {
  const base = baseLookup([map({ A: '1', B: '1' }), map({ A: '2', B: '1' })]);
  t.equal(base('A'), UNKNOWN);
  const r = mergeEntries(base, map({ A: '1', B: '1' }), map({ A: '2', B: '5' }));
  t.same(r.conflicts, ['A']);
  t.equal(r.entries.get('B'), '5');
});

const KEYS = ['A', 'B', 'C', 'D', 'E', 'F'];
const env = fc.dictionary(fc.constantFrom(...KEYS), fc.string({ maxLength: 3 }), { maxKeys: KEYS.length });
const edit = fc.dictionary(fc.constantFrom(...KEYS), fc.option(fc.string({ maxLength: 3 })), {
  maxKeys: KEYS.length,
});

function apply(base: Record<string, string>, changes: Record<string, string | null>): Record<string, string> {
  const out = { ...base };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

t.test('property: disjoint changes merge to the same result in either order', async () => {
  fc.assert(
    fc.property(env, edit, edit, (base, a, b) => {
      const bOnly = Object.fromEntries(Object.entries(b).filter(([k]) => !(k in a)));
      const ours = apply(base, a);
      const theirs = apply(base, bOnly);
      const one = merge(base, ours, theirs);
      const two = merge(base, theirs, ours);
      return (
        one.conflicts.length === 0 &&
        two.conflicts.length === 0 &&
        fc.stringify([...one.entries]) === fc.stringify([...two.entries])
      );
    }),
  );
});

t.test('property: merging twice changes nothing', async () => {
  fc.assert(
    fc.property(env, edit, edit, (base, a, b) => {
      const ours = apply(base, a);
      const theirs = apply(base, b);
      const first = mergeEntries(baseLookup([map(base)]), map(ours), map(theirs), () => 'ours');
      // After the merge commit, theirs is an ancestor: merging it again has theirs as the base.
      const again = mergeEntries(baseLookup([map(theirs)]), first.entries, map(theirs));
      return (
        again.conflicts.length === 0 && fc.stringify([...again.entries]) === fc.stringify([...first.entries])
      );
    }),
  );
});

t.test('property: no value is lost silently', async () => {
  fc.assert(
    fc.property(env, edit, edit, (base, a, b) => {
      const ours = apply(base, a);
      const theirs = apply(base, b);
      const r = merge(base, ours, theirs);
      for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs), ...Object.keys(base)])) {
        const [o, th, ba, m] = [ours[key], theirs[key], base[key], r.entries.get(key)];
        if (r.conflicts.includes(key)) continue;
        // Every merged value is one side's; a side's change survives unless both sides agree.
        if (m !== o && m !== th) return false;
        if (o !== ba && m !== o) return false;
        if (th !== ba && m !== th) return false;
      }
      // A conflict is reported exactly when both sides changed a key differently.
      for (const key of r.conflicts) {
        if (!(ours[key] !== base[key] && theirs[key] !== base[key] && ours[key] !== theirs[key]))
          return false;
      }
      return true;
    }),
  );
});
