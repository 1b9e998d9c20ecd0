// Parse `.env` text with dotenv's own parser, but refuse what dotenv would silently skip:
// unparseable lines, invalid key names, NUL bytes, invalid UTF-8 and oversize input. See docs/dotenv-format.md.

import dotenv from 'dotenv';
import { EnvSyncError } from '../errors.ts';
import { keyNameHint } from './key-name.ts';

/** Largest input accepted, in bytes of UTF-8. Far above any real `.env`; bounds time and memory. */
export const MAX_DOTENV_BYTES = 16 * 1024 * 1024;

/**
 * dotenv 18's line regex (its default parser, in `dist/index.cjs`), copied so we can see which text each
 * entry covers; dotenv.parse still computes the values. A test checks this copy against the installed dotenv.
 */
export const DOTENV_LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

export interface DotenvEntry {
  readonly key: string;
  /** 1-based line of the key (after CRLF and lone CR are read as line breaks, as dotenv does). */
  readonly line: number;
  /** Offsets in `text`: the start of the key's line, where the key begins, and the end of the entry's last line. */
  readonly lineStart: number;
  readonly keyStart: number;
  readonly end: number;
  /** The value as written (quotes included, surrounding blanks excluded), or null for an empty one. */
  readonly value: { readonly start: number; readonly end: number } | null;
}

export interface DotenvDocument {
  /** Final values in order of each key's first appearance; for a repeated key the last value wins (as dotenv). */
  readonly values: Map<string, string>;
  /** Every assignment in file order, repeats included, so a caller can warn about duplicates. */
  readonly entries: readonly DotenvEntry[];
  /** The text parsed, line breaks read as LF; the offsets of `entries` point into it. */
  readonly text: string;
  /** The file's line break: CRLF when it has one, else LF. */
  readonly eol: '\n' | '\r\n';
}

export function parseDotenv(input: string | Uint8Array): Map<string, string> {
  return parseDotenvDocument(input).values;
}

export function parseDotenvDocument(input: string | Uint8Array): DotenvDocument {
  const text = decode(input);
  const normalized = text.indexOf('\r') === -1 ? text : text.replace(/\r\n?/g, '\n');
  const lines = new LineIndex(normalized);

  const nul = normalized.indexOf('\0');
  if (nul !== -1) throw parseError(lines.lineOf(nul), 'contains a NUL byte');

  const entries: DotenvEntry[] = [];
  const re = new RegExp(DOTENV_LINE.source, `${DOTENV_LINE.flags}d`);
  let covered = 0;
  for (let match = re.exec(normalized); match !== null; match = re.exec(normalized)) {
    checkGap(normalized, covered, match.index, lines);
    const key = match[1]!;
    const keyStart = keyOffset(normalized, match.index, key);
    const keyLine = lines.lineOf(keyStart);
    // Never echo an invalid "key": it may be a fragment of a mangled secret.
    const hint = keyNameHint(key);
    if (hint !== null) throw new EnvSyncError('E_KEY_NAME', `line ${keyLine}: invalid key name (${hint})`);
    covered = match.index + match[0].length;
    const value = valueSpan(normalized, match.indices?.[2]);
    entries.push({
      key,
      line: keyLine,
      lineStart: normalized.lastIndexOf('\n', keyStart - 1) + 1,
      keyStart,
      end: lineEnd(normalized, value?.end ?? keyStart),
      value,
    });
  }
  checkGap(normalized, covered, normalized.length, lines);

  const parsed = dotenv.parse(normalized);
  const values = new Map<string, string>();
  for (const { key } of entries) {
    const value = parsed[key];
    // Only reachable if the installed dotenv no longer matches DOTENV_LINE.
    if (value === undefined) throw new EnvSyncError('E_DOTENV_PARSE', `dotenv did not return key ${key}`);
    values.set(key, value);
  }
  if (Object.keys(parsed).length !== values.size) {
    throw new EnvSyncError('E_DOTENV_PARSE', 'dotenv returned keys this parser did not find');
  }
  return { values, entries, text: normalized, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/** The offset of the line break after `at`, or the text's end. */
function lineEnd(text: string, at: number): number {
  const end = text.indexOf('\n', at);
  return end === -1 ? text.length : end;
}

/** `to` moved back over blank space, not before `from`. */
function trimEnd(text: string, from: number, to: number): number {
  let end = to;
  while (end > from && /\s/.test(text[end - 1]!)) end--;
  return end;
}

function valueSpan(text: string, span: [number, number] | undefined): DotenvEntry['value'] {
  if (span === undefined) return null;
  const end = trimEnd(text, span[0], span[1]);
  const start = skipSpace(text, span[0]);
  return start < end ? { start, end } : null;
}

/** Where the key of a match starting at `at` begins: after blank space and an optional `export `. */
function keyOffset(text: string, at: number, key: string): number {
  let i = skipSpace(text, at);
  if (text.startsWith('export', i) && /\s/.test(text[i + 6] ?? '')) {
    const after = skipSpace(text, i + 6);
    if (text.startsWith(key, after)) i = after;
  }
  return i;
}

const SPACE = /\s*/y;

function skipSpace(text: string, from: number): number {
  SPACE.lastIndex = from;
  SPACE.test(text);
  return SPACE.lastIndex;
}

/** Text between two entries may hold only blank lines and comments; anything else dotenv would skip. */
function checkGap(text: string, from: number, to: number, lines: LineIndex): void {
  if (to - from <= 1 && (from === to || text[from] === '\n')) return;
  let start = from;
  while (start < to) {
    let end = text.indexOf('\n', start);
    if (end === -1 || end > to) end = to;
    const rest = text.slice(start, end).trim();
    if (rest !== '' && rest[0] !== '#') throw parseError(lines.lineOf(start), 'expected KEY=VALUE');
    start = end + 1;
  }
}

function parseError(line: number, what: string): EnvSyncError {
  return new EnvSyncError('E_DOTENV_PARSE', `line ${line}: ${what}`);
}

function decode(input: string | Uint8Array): string {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (bytes > MAX_DOTENV_BYTES) {
    throw new EnvSyncError(
      'E_DOTENV_PARSE',
      `.env input is ${bytes} bytes; the limit is ${MAX_DOTENV_BYTES} bytes (16 MiB)`,
    );
  }
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw new EnvSyncError('E_DOTENV_PARSE', '.env input is not valid UTF-8');
  }
}

/** Offsets of line starts, so an offset maps to a line number in O(log n). */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}
