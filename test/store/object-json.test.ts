import fc from 'fast-check';
import t from 'tap';
import { objectFromJson, objectToJson } from '../../src/store/object-json.ts';
import { encodeObject } from '../../src/store/objects.ts';
import { RECIPIENT_1, RECIPIENT_2, SAMPLES, sampleAge, samplePlain, validObject } from './sample-objects.ts';

const roundTrip = (value: unknown) => JSON.parse(JSON.stringify(value));

t.test('every object type survives object → JSON text → object with identical bytes', async (t) => {
  for (const [name, make] of Object.entries(SAMPLES)) {
    const object = make();
    const json = roundTrip(objectToJson(object, { showValues: true }));
    t.same(encodeObject(objectFromJson(json)), encodeObject(object), name);
  }
});

t.test('random valid objects survive the JSON form byte for byte', async () => {
  fc.assert(
    fc.property(validObject, (object) => {
      const json = roundTrip(objectToJson(object, { showValues: true }));
      return Buffer.compare(encodeObject(objectFromJson(json)), encodeObject(object)) === 0;
    }),
    { numRuns: 300 },
  );
});

t.test('masked JSON shows key names, hides values and is refused by objectFromJson', async (t) => {
  const masked = objectToJson(samplePlain(), { showValues: false });
  const text = JSON.stringify(masked);
  t.match(text, /API_KEY/);
  t.match(text, /DATABASE_URL/);
  t.notMatch(text, /s3cr3t/);
  t.notMatch(text, /postgres/);
  t.throws(() => objectFromJson(roundTrip(masked)), {
    code: 'E_OBJECT_CORRUPT',
    message: /values are masked; use cat-file --json --show-values/,
  });
});

t.test('the JSON of an age snapshot carries its recipients, so it can be hashed back', async (t) => {
  const json = objectToJson(sampleAge(), { showValues: false }) as Record<string, unknown>;
  t.same(json.recipients, [RECIPIENT_1, RECIPIENT_2]);
  t.same(encodeObject(objectFromJson(roundTrip(json))), encodeObject(sampleAge()));
});

t.test('malformed JSON documents are refused with the field named', async (t) => {
  const commit = roundTrip(objectToJson(SAMPLES.commit!(), { showValues: true }));
  const cases: [unknown, RegExp][] = [
    [null, /document must be an object/],
    [[], /document must be an object/],
    [{ ...commit, version: 2 }, /version must be 1/],
    [{ ...commit, type: 'tree' }, /type must be/],
    [{ ...commit, snapshot: 'abc' }, /snapshot is not a 64-character hex id/],
    [{ ...commit, parents: 'x' }, /parents must be an array/],
    [{ ...commit, time: -1 }, /time must be an unsigned 32-bit integer/],
    [{ ...commit, time: 1.5 }, /time must be an unsigned 32-bit integer/],
    [{ ...commit, time: 2 ** 32 }, /time must be an unsigned 32-bit integer/],
    [{ ...commit, author: 7 }, /author must be a string/],
    [{ type: 'snapshot', version: 1, encoding: 'plain', entries: { A: 1 } }, /entries.A must be a string/],
    [{ type: 'snapshot', version: 1, encoding: 'zip', entries: {} }, /encoding must be/],
    [{ type: 'snapshot', version: 1, encoding: 'age', keys: [], recipients: [], payload: '!' }, /base64/],
    [
      { ...roundTrip(objectToJson(SAMPLES.event!(), { showValues: true })), actor: 'ABCD' },
      /actor must be lowercase hex/,
    ],
  ];
  for (const [doc, message] of cases) {
    t.throws(() => objectFromJson(doc), { code: /^E_/, message }, JSON.stringify(doc).slice(0, 60));
  }
});
