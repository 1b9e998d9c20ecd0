import t from 'tap';
import { serializeJson } from '../../src/dotenv/serialize-json.ts';

t.test('a JSON object with sorted keys, two-space indent and a final newline', async (t) => {
  const entries = new Map([
    ['b', '2'],
    ['A', 'x\n"y"\0\u2028'],
    ['a', ''],
  ]);
  const text = serializeJson(entries);
  t.equal(text, '{\n  "A": "x\\n\\"y\\"\\u0000\u2028",\n  "a": "",\n  "b": "2"\n}\n');
  t.same(JSON.parse(text), Object.fromEntries(entries));
  t.equal(serializeJson(new Map()), '{}\n');
});

t.test('refuses invalid key names', async (t) => {
  t.throws(() => serializeJson(new Map([['9', 'x']])), { code: 'E_KEY_NAME' });
});
