// fast-check arbitraries shared by the dotenv tests: key names and hostile values that stress every
// quoting rule (quotes, #, =, $, backslashes, CR, LF, U+2028, unicode spaces, astral characters).

import fc from 'fast-check';

const HOSTILE = [
  "'",
  '"',
  '`',
  '#',
  ' #',
  '=',
  '$',
  '$HOME',
  '{',
  '\\',
  '\\n',
  '\\r',
  '\r',
  '\n',
  '\r\n',
  ' ',
  '\t',
  'n',
  'r',
  'a',
  'Z',
  ':',
  'export ',
  '\nB=1',
  "'\n",
  '\u2028',
  '\u2029',
  '\u00a0',
  '\ufeff',
  'é',
  '😀',
];

const hostileUnit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

/** Any value, NUL excluded (a NUL is tested on its own); weighted towards characters that are syntax. */
export const hostileValue = fc
  .oneof(fc.string({ unit: hostileUnit, maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }))
  .filter((s) => !s.includes('\0'));

/** Dense in quotes, backslashes and line breaks, so that unrepresentable values come up often. */
export const denseValue = fc.string({
  unit: fc.constantFrom("'", '"', '`', '#', '\\', '\n', '\r', 'n', 'a', ' ', '\u2028'),
  maxLength: 8,
});

export const keyName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/).filter((k) => k !== '__proto__');

/** Names sh accepts; prefixed so a test never overwrites PATH, IFS or another special variable. */
export const shellKeyName = fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/).map((k) => `T_${k}`);

export function entriesOf<V>(key: fc.Arbitrary<string>, value: fc.Arbitrary<V>, maxLength = 8) {
  return fc
    .uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, minLength: 1, maxLength })
    .map((pairs) => new Map(pairs));
}
