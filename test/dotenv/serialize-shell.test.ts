import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import t from 'tap';
import { serializeShell } from '../../src/dotenv/serialize-shell.ts';
import { entriesOf, hostileValue, shellKeyName } from './arbitraries.ts';

/** Evals `script` in /bin/sh, then prints each variable with `printf %s`, NUL-separated; returns the values. */
function evalInSh(script: string, keys: readonly string[]): string[] {
  const print = keys.map((k) => `printf '%s' "$${k}"; printf '\\000'`).join('\n');
  const result = spawnSync('/bin/sh', ['-c', `eval "$1"\n${print}`, 'sh', script], { encoding: 'buffer' });
  if (result.status !== 0) throw new Error(`sh failed: ${result.stderr.toString()}`);
  const parts: string[] = [];
  let start = 0;
  for (let i = result.stdout.indexOf(0); i !== -1; i = result.stdout.indexOf(0, start)) {
    parts.push(result.stdout.subarray(start, i).toString('utf8'));
    start = i + 1;
  }
  return parts;
}

/** What sh can hold: no NUL (tested apart), no lone surrogate (not encodable as UTF-8). */
const shellCanHold = (s: string) => !s.includes('\0') && !/[\uD800-\uDFFF]/u.test(s);

t.test('writes export lines with single quotes, a quote as quote-backslash-quote-quote', async (t) => {
  t.equal(
    serializeShell(
      new Map([
        ['A', ''],
        ['B', "it's"],
        ['C', 'a\nb'],
      ]),
    ),
    "export A=''\nexport B='it'\\''s'\nexport C='a\nb'\n",
  );
  t.equal(serializeShell(new Map()), '');
});

t.test('sh reads back hostile values byte for byte', async (t) => {
  const values = ["'", "''", "'\\''", '"$HOME"', '`id`', '$(id)', '\\', '\n', '\r\n', ' x ', '#', '😀', ''];
  const entries = new Map(values.map((v, i) => [`V${i}`, v]));
  t.same(evalInSh(serializeShell(entries), [...entries.keys()]), values);
});

t.test('refuses names sh cannot hold and NUL, naming the key only', async (t) => {
  t.throws(() => serializeShell(new Map([['A.B', 'CANARY']])), {
    code: 'E_KEY_NAME',
    message: /^key A\.B is not a shell variable name/,
  });
  t.throws(() => serializeShell(new Map([['A-B', 'x']])), { code: 'E_KEY_NAME' });
  t.throws(() => serializeShell(new Map([['1A', 'x']])), { code: 'E_KEY_NAME' });
  try {
    serializeShell(new Map([['K', 'CANARY_s3cr3t\0']]));
    t.fail('should throw');
  } catch (error) {
    t.match(error, { code: 'E_DOTENV_UNREPRESENTABLE', message: /^the value of K holds a NUL byte/ });
    t.notMatch((error as Error).message, 'CANARY');
  }
});

t.test('property: for any values, eval in sh then printf %s gives the same bytes', async (t) => {
  const value = fc.oneof(hostileValue, fc.string({ unit: 'binary', maxLength: 40 })).filter(shellCanHold);
  fc.assert(
    fc.property(entriesOf(shellKeyName, value, 40), (entries) => {
      const got = evalInSh(serializeShell(entries), [...entries.keys()]);
      return got.length === entries.size && got.every((v, i) => v === [...entries.values()][i]);
    }),
    { numRuns: 60 },
  );
  t.pass('60 spawns of /bin/sh, up to 40 variables each');
});
