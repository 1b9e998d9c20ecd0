// Choose how one value is written in a `.env` file so that dotenv's parser reads it back exactly,
// or report that no form can hold it. The rules and their reasons are in docs/dotenv-format.md.

/** Values written bare: nothing a parser, a shell or a reader could take for syntax. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;
const LINE_BREAK = /[\r\n]/;
/** dotenv's regexes use the `m` flag, where U+2028 and U+2029 also end a line. */
const UNICODE_LINE_BREAK = /[\u2028\u2029]/;
/** In double quotes dotenv turns these two-character sequences into CR and LF; there is no escape for `\`. */
const DOUBLE_QUOTE_ESCAPE = /\\[nr]/;

/**
 * The value as it should appear after `KEY=`, or undefined when dotenv cannot represent it.
 * A value ending in a backslash is never quoted: `\'` (or `\"`, `` \` ``) lets dotenv's regex run past the
 * closing quote into later lines, so the result would depend on what follows.
 */
export function encodeDotenvValue(value: string): string | undefined {
  if (value.includes('\0')) return undefined;
  if (value === '' || PLAIN.test(value)) return value;
  const trailingBackslash = value.endsWith('\\');
  const has = (c: string) => value.includes(c);

  if (LINE_BREAK.test(value)) {
    if (trailingBackslash) return undefined;
    if (!has('"') && !DOUBLE_QUOTE_ESCAPE.test(value)) {
      return `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
    }
    // Raw multi-line quoting: a CR would be read as a line break, so it is out.
    if (has('\r')) return undefined;
    if (!has("'")) return `'${value}'`;
    if (!has('`')) return `\`${value}\``;
    return undefined;
  }

  if (!trailingBackslash) {
    if (!has("'")) return `'${value}'`;
    if (!has('"') && !DOUBLE_QUOTE_ESCAPE.test(value)) return `"${value}"`;
    if (!has('`')) return `\`${value}\``;
    // Every quote kind occurs. dotenv then reads `'…'` as a bare value (no quoted form ends at a line end)
    // and strips the outer quotes; a `#` would start a comment, a U+2028 would end the line early.
    if (!has('#') && !UNICODE_LINE_BREAK.test(value)) return `'${value}'`;
  }
  return isSafeBare(value) ? value : undefined;
}

/** dotenv's bare form: one line, no comment, no surrounding space (it trims), no leading quote. */
function isSafeBare(value: string): boolean {
  return (
    !value.includes('#') && !UNICODE_LINE_BREAK.test(value) && value.trim() === value && !/^['"`]/.test(value)
  );
}
