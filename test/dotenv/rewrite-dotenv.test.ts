import { isDeepStrictEqual } from 'node:util';
import dotenv from 'dotenv';
import fc from 'fast-check';
import t from 'tap';
import { encodeDotenvValue } from '../../src/dotenv/quote.ts';
import { rewriteDotenv } from '../../src/dotenv/rewrite-dotenv.ts';
import { hostileValue, keyName } from './arbitraries.ts';

t.test('keeps comments, blank lines, order and export prefixes; changes only changed lines', async (t) => {
  const before =
    '# database\nexport DB_URL=postgres://a\n\n  PORT = 5000   # default\nOLD=x\nNAME="two words"\n';
  const after = rewriteDotenv(
    before,
    new Map([
      ['DB_URL', 'postgres://b'],
      ['PORT', '5000'],
      ['NAME', 'two words'],
      ['NEW', 'hello world'],
    ]),
  );
  t.equal(
    after,
    '# database\nexport DB_URL=postgres://b\n\n  PORT = 5000   # default\nNAME="two words"\nNEW=\'hello world\'\n',
  );
});

t.test('a changed value keeps its trailing comment; an empty one gets a value', async (t) => {
  t.equal(
    rewriteDotenv(
      'A=1 # note\nB=\n',
      new Map([
        ['A', '2'],
        ['B', 'x'],
      ]),
    ),
    'A=2 # note\nB=x\n',
  );
  t.equal(
    rewriteDotenv(
      "A='multi\nline'\nB=1\n",
      new Map([
        ['A', 'one'],
        ['B', '1'],
      ]),
    ),
    'A=one\nB=1\n',
  );
});

t.test('a repeated key keeps one line with the new value; CRLF files stay CRLF', async (t) => {
  t.equal(
    rewriteDotenv(
      'A=old\nB=1\nA=older\n',
      new Map([
        ['A', 'new'],
        ['B', '1'],
      ]),
    ),
    'B=1\nA=new\n',
  );
  t.equal(rewriteDotenv('A=1\r\nB=2\r\n', new Map([['A', '3']])), 'A=3\r\n');
  t.equal(
    rewriteDotenv(
      'A=1',
      new Map([
        ['A', '1'],
        ['B', '2'],
      ]),
    ),
    'A=1\nB=2\n',
    'a missing final newline',
  );
});

t.test('refuses a value .env cannot hold, naming the key', async (t) => {
  t.throws(() => rewriteDotenv('A=1\n', new Map([['A', 'a NUL \0 byte']])), {
    code: 'E_DOTENV_UNREPRESENTABLE',
    message: /the value of A cannot be written/,
  });
});

type Line =
  | { readonly kind: 'comment'; readonly text: string }
  | { readonly kind: 'blank' }
  | { readonly kind: 'entry'; readonly key: string; readonly value: string; readonly exported: boolean };

const comment = fc
  .stringMatching(/^[ a-z0-9=#"']{0,12}$/)
  .map((text): Line => ({ kind: 'comment', text: `# ${text}` }));
const entry = fc
  .record({ key: keyName, value: hostileValue, exported: fc.boolean() })
  .filter(({ value }) => encodeDotenvValue(value) !== undefined)
  .map((fields): Line => ({ kind: 'entry', ...fields }));
const file = fc
  .array(fc.oneof(comment, fc.constant<Line>({ kind: 'blank' }), entry), { maxLength: 10 })
  .map((lines) => {
    const seen = new Set<string>();
    return lines.filter((line) => line.kind !== 'entry' || (!seen.has(line.key) && seen.add(line.key)));
  });
const render = (line: Line) =>
  line.kind === 'comment'
    ? line.text
    : line.kind === 'blank'
      ? ''
      : `${line.exported ? 'export ' : ''}${line.key}=${encodeDotenvValue(line.value)}`;
/** What happens to a key: kept, given a new value, or removed. */
const fate = fc.oneof(fc.constant<'keep'>('keep'), fc.constant<'remove'>('remove'), hostileValue);

t.test(
  'property: the result reads back as the new values and untouched lines stay byte for byte',
  async (t) => {
    fc.assert(
      fc.property(
        file,
        fc.array(fate, { minLength: 10, maxLength: 10 }),
        fc.dictionary(keyName, hostileValue, { maxKeys: 3 }),
        (lines, fates, additions) => {
          const text = lines.map((line) => `${render(line)}\n`).join('');
          const next = new Map<string, string>();
          const kept: string[] = [];
          for (const [index, line] of lines.entries()) {
            const what = line.kind === 'entry' ? fates[index]! : 'keep';
            if (line.kind !== 'entry' || what === 'keep' || what === line.value) kept.push(render(line));
            if (line.kind !== 'entry' || what === 'remove') continue;
            next.set(line.key, what === 'keep' ? line.value : what);
          }
          for (const [key, value] of Object.entries(additions)) if (!next.has(key)) next.set(key, value);
          if ([...next.values()].some((value) => encodeDotenvValue(value) === undefined)) return;
          const result = rewriteDotenv(text, next);
          if (!isDeepStrictEqual(dotenv.parse(result), Object.fromEntries(next))) return false;
          // Kept lines appear unchanged and in order: a subsequence of the result's lines.
          const resultLines = result.split('\n');
          let at = 0;
          for (const line of kept.flatMap((text) => text.split('\n'))) {
            at = resultLines.indexOf(line, at) + 1;
            if (at === 0) return false;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
    t.pass('300 random files rewritten');
  },
);
