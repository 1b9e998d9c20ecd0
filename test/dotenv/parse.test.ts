import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import dotenv from 'dotenv';
import fc from 'fast-check';
import type { Test } from 'tap';
import t from 'tap';
import {
  DOTENV_LINE,
  type DotenvDocument,
  MAX_DOTENV_BYTES,
  parseDotenv,
  parseDotenvDocument,
} from '../../src/dotenv/parse.ts';
import { isEnvSyncError } from '../../src/errors.ts';
import { printable } from './printable.ts';

const fixture = (name: string) => new URL(`../../fixtures/dotenv/${name}`, import.meta.url);
const CANARY = 'CANARY_s3cr3t_7f1d';

/** Runs `fn`, which must throw an EnvSyncError with `code`; returns its message. */
function errorOf(t: Test, code: string, fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    t.ok(isEnvSyncError(error), 'an EnvSyncError');
    t.equal((error as { code?: string }).code, code);
    const { message } = error as Error;
    t.notMatch(message, /\n/, 'one line');
    return message;
  }
  t.fail(`expected ${code}`);
  return '';
}

const keyLines = (doc: DotenvDocument) => doc.entries.map(({ key, line }) => ({ key, line }));

t.test('reads every construct of the fixture as dotenv does', async (t) => {
  const bytes = readFileSync(fixture('constructs.env'));
  const expected = JSON.parse(readFileSync(fixture('constructs.json'), 'utf8'));
  t.same(Object.fromEntries(parseDotenv(bytes)), expected);
  t.same(Object.fromEntries(parseDotenv(bytes.toString('utf8'))), dotenv.parse(bytes));
});

t.test('CRLF and lone CR files read like LF files, inside multi-line values too', async (t) => {
  const lf = readFileSync(fixture('constructs.env'), 'utf8');
  t.same(parseDotenv(lf.replaceAll('\n', '\r\n')), parseDotenv(lf));
  t.same(parseDotenv(lf.replaceAll('\n', '\r')), parseDotenv(lf));
  t.same(
    [...parseDotenv('A="x\r\ny"\r\nB=2\r\n')],
    [
      ['A', 'x\ny'],
      ['B', '2'],
    ],
  );
});

t.test('quotes: single is literal, double expands \\n and \\r only, backticks are literal', async (t) => {
  const values = parseDotenv(
    ["S='a\\nb \\\\ $X'", 'D="a\\nb\\rc \\t \\\\ \\"q"', 'B=`a\\nb "x" \'y\'`'].join('\n'),
  );
  t.equal(values.get('S'), 'a\\nb \\\\ $X');
  t.equal(values.get('D'), 'a\nb\rc \\t \\\\ \\"q');
  t.equal(values.get('B'), 'a\\nb "x" \'y\'');
});

t.test('a repeated key keeps its last value and its first position; entries list every line', async (t) => {
  const doc = parseDotenvDocument('A=1\nB=2\nA=3\n');
  t.same(
    [...doc.values],
    [
      ['A', '3'],
      ['B', '2'],
    ],
  );
  t.same(keyLines(doc), [
    { key: 'A', line: 1 },
    { key: 'B', line: 2 },
    { key: 'A', line: 3 },
  ]);
});

t.test('entry lines count the lines of multi-line values and of CRLF files', async (t) => {
  const doc = parseDotenvDocument('# c\r\n\r\nA="1\r\n2\r\n3"\r\nexport B=x\r\n\r\nC=y');
  t.same(keyLines(doc), [
    { key: 'A', line: 3 },
    { key: 'B', line: 6 },
    { key: 'C', line: 8 },
  ]);
  // `export` may even stand alone on the line before its key; a key may be named export.
  t.same(keyLines(parseDotenvDocument('export\np=1\nexport =2\nexport export=3')), [
    { key: 'p', line: 2 },
    { key: 'export', line: 3 },
    { key: 'export', line: 4 },
  ]);
});

t.test('empty input, blank lines, comments and a BOM give no keys or errors', async (t) => {
  t.equal(parseDotenv('').size, 0);
  t.equal(parseDotenv('\n\n  \t\n# only a comment\n   # another\n').size, 0);
  t.same([...parseDotenv(Buffer.from('\ufeffA=1\n'))], [['A', '1']]);
  t.same([...parseDotenv('\ufeffA=1\n')], [['A', '1']]);
});

t.test('a line dotenv would skip is an error naming its line, never its text', async (t) => {
  const cases: [string, number][] = [
    [`A=1\n${CANARY}\n`, 2],
    [`A=1\n\n# c\nexport ${CANARY}\n`, 4],
    [`A="x\ny"\n  ${CANARY} more\n`, 3],
    [`A=1\r\n\r\n${CANARY}\r\n`, 3],
    [`${CANARY} x=1\n`, 1],
    [`KEY\n${CANARY}=1\n`, 1],
    [`A='x'\u2028${CANARY}\n`, 1],
    [`-----BEGIN ${CANARY}-----\n`, 1],
  ];
  for (const [text, line] of cases) {
    const message = errorOf(t, 'E_DOTENV_PARSE', () => parseDotenv(text));
    t.equal(message, `line ${line}: expected KEY=VALUE`, printable(text));
    t.notMatch(message, CANARY);
  }
});

t.test('an invalid key name is an error naming its line, without echoing the name', async (t) => {
  for (const [text, line] of [
    [`A=1\n9${CANARY}=x\n`, 2],
    [`.${CANARY}=x`, 1],
    [`A="\n"\n-${CANARY}: x`, 3],
    ['__proto__=x', 1],
  ] as const) {
    const message = errorOf(t, 'E_KEY_NAME', () => parseDotenv(text));
    t.match(message, new RegExp(`^line ${line}: invalid key name`));
    t.notMatch(message, CANARY);
  }
});

t.test('a NUL byte is refused with its line', async (t) => {
  const message = errorOf(t, 'E_DOTENV_PARSE', () => parseDotenv(`A=1\nB=${CANARY}\0${CANARY}\n`));
  t.equal(message, 'line 2: contains a NUL byte');
});

t.test('invalid UTF-8 bytes are refused', async (t) => {
  const bytes = Buffer.concat([Buffer.from(`A=${CANARY}`), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]);
  t.equal(
    errorOf(t, 'E_DOTENV_PARSE', () => parseDotenv(bytes)),
    '.env input is not valid UTF-8',
  );
});

t.test('input over 16 MiB is refused before it is parsed', async (t) => {
  const over = `A=${'x'.repeat(MAX_DOTENV_BYTES)}\n`;
  t.match(
    errorOf(t, 'E_DOTENV_PARSE', () => parseDotenv(over)),
    /limit is 16777216 bytes/,
  );
  t.match(
    errorOf(t, 'E_DOTENV_PARSE', () => parseDotenv(Buffer.from(over))),
    /limit is 16777216 bytes/,
  );
  // Counted in UTF-8 bytes, not UTF-16 units.
  const wide = `A=${'é'.repeat(MAX_DOTENV_BYTES / 2)}`;
  t.match(
    errorOf(t, 'E_DOTENV_PARSE', () => parseDotenv(wide)),
    /limit/,
  );
});

t.test('our copy of dotenv’s line regex is the one the installed dotenv uses', async (t) => {
  const main = createRequire(import.meta.url).resolve('dotenv');
  t.ok(readFileSync(main, 'utf8').includes(`/${DOTENV_LINE.source}/mg`), main);
});

t.test('whatever it accepts, parseDotenv agrees with dotenv.parse', async (t) => {
  const token = fc.constantFrom(
    'A',
    'b_1',
    '9x',
    '=',
    ': ',
    ' ',
    '#',
    "'",
    '"',
    '`',
    '\\',
    '\n',
    '\r\n',
    'export ',
  );
  const text = fc.string({ unit: fc.oneof(token, fc.string({ maxLength: 1 })), maxLength: 40 });
  fc.assert(
    fc.property(text, (input) => {
      let values: Map<string, string>;
      try {
        values = parseDotenv(input);
      } catch (error) {
        return isEnvSyncError(error, 'E_DOTENV_PARSE') || isEnvSyncError(error, 'E_KEY_NAME');
      }
      return isDeepStrictEqual(Object.fromEntries(values), { ...dotenv.parse(input) });
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 random texts');
});
