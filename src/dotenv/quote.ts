// Choose how one value is written in a `.env` file so that dotenv's parser reads it back exactly,
// or report that no form can hold it. The rules and their reasons are in docs/dotenv-format.md.

/** Values written bare: nothing a parser, a shell or a reader could take for syntax. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;
const LINE_BREAK = /[\r\n]/;
/**
 * dotenv's regexes use the `m` flag, where U+2028 and U+2029 also end a line. Only the quoted forms
 * are proven safe with them; the bare forms refuse them (conservative: see docs/dotenv-format.md).
 */
const UNICODE_LINE_BREAK = /[\u2028\u2029]/;
/** In double quotes dotenv turns these two-character sequences into LF and CR; there is no escape for `\`. */
const DOUBLE_QUOTE_ESCAPE = /\\[nr]/;

/**
 * The value as it should appear after `KEY=`, or undefined when dotenv cannot represent it.
 * Inside quotes q, dotenv's regex steps over `\q` (keeping both characters), so a q preceded by a
 * backslash is harmless, but a value ending in `\` would make the closing quote look escaped and let
 * the match run on into later lines.
 */
export function encodeDotenvValue(value: string): string | undefined {
  if (value.includes('\0')) return undefined;
  if (value === '' || PLAIN.test(value)) return value;
  const quotable = !value.endsWith('\\');
  const multiLine = LINE_BREAK.test(value);

  if (quotable && multiLine && fitsDoubleQuotes(value)) return `"${escapeLineBreaks(value)}"`;
  if (quotable && !value.includes('\r')) {
    // Raw quoting; a raw CR would be read as a line break.
    if (everyQuoteEscaped(value, "'")) return `'${value}'`;
    if (!multiLine && fitsDoubleQuotes(value)) return `"${value}"`;
    if (everyQuoteEscaped(value, '`')) return `\`${value}\``;
  }
  return wrappedBare(value, quotable, multiLine) ?? (isSafeBare(value) ? value : undefined);
}

/**
 * When no quoted form fits, dotenv reads `q…q` as a bare value and strips the outer quotes (and, for
 * `"`, then expands `\n` and `\r`). That needs one line without `#` (a comment), and dotenv's quoted
 * form must fail first: at a bare q inside, or at a closing q not preceded by `\`.
 */
function wrappedBare(value: string, quotable: boolean, multiLine: boolean): string | undefined {
  if (value.includes('#') || UNICODE_LINE_BREAK.test(value)) return undefined;
  if (!multiLine) {
    if (quotable || hasBareQuote(value, "'")) return `'${value}'`;
    if (hasBareQuote(value, '`')) return `\`${value}\``;
  }
  if (!DOUBLE_QUOTE_ESCAPE.test(value) && hasBareQuote(value, '"')) return `"${escapeLineBreaks(value)}"`;
  return undefined;
}

function escapeLineBreaks(value: string): string {
  return value.replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

function fitsDoubleQuotes(value: string): boolean {
  return everyQuoteEscaped(value, '"') && !DOUBLE_QUOTE_ESCAPE.test(value);
}

function everyQuoteEscaped(value: string, quote: string): boolean {
  return !hasBareQuote(value, quote);
}

/** Whether `quote` occurs in `value` other than right after a backslash. */
function hasBareQuote(value: string, quote: string): boolean {
  for (let i = value.indexOf(quote); i !== -1; i = value.indexOf(quote, i + 1)) {
    if (i === 0 || value[i - 1] !== '\\') return true;
  }
  return false;
}

/** dotenv's bare form: one line, no comment, no surrounding space (it trims), no leading quote. */
function isSafeBare(value: string): boolean {
  return (
    !LINE_BREAK.test(value) &&
    !UNICODE_LINE_BREAK.test(value) &&
    !value.includes('#') &&
    value.trim() === value &&
    !/^['"`]/.test(value)
  );
}
