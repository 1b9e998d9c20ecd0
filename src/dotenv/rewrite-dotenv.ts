// Rewrite an existing `.env` text so that it holds new values while keeping its layout: comments, blank
// lines, order, `export ` prefixes and line breaks stay; only the lines of changed keys change, removed keys
// lose their lines, new keys are appended. docs/dotenv-format.md#rewriting-a-file

import dotenv from 'dotenv';
import { type DotenvDocument, type DotenvEntry, parseDotenvDocument } from './parse.ts';
import { encodeDotenvValue } from './quote.ts';
import { serializeDotenv, unrepresentable } from './serialize-dotenv.ts';

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** `previous` (a `.env` text) changed to hold exactly `entries`; E_DOTENV_UNREPRESENTABLE names a key it cannot hold. */
export function rewriteDotenv(previous: string | Uint8Array, entries: ReadonlyMap<string, string>): string {
  const document = parseDotenvDocument(previous);
  const edits = document.entries.flatMap((entry, index) => editFor(document, entry, index, entries));
  let text = document.text;
  for (const edit of edits.reverse()) text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  const added = new Map([...entries].filter(([key]) => !document.values.has(key)));
  if (added.size > 0) text += (text === '' || text.endsWith('\n') ? '' : '\n') + serializeDotenv(added);
  if (document.eol === '\r\n') text = text.replace(/\n/g, '\r\n');
  // Every rule above is proven by property tests; this re-read guards secrets against one we got wrong.
  const reread = dotenv.parse(text);
  if (Object.keys(reread).length !== entries.size) throw unrepresentable([...entries.keys()][0] ?? '');
  for (const [key, value] of entries) if (reread[key] !== value) throw unrepresentable(key);
  return text;
}

function editFor(
  document: DotenvDocument,
  entry: DotenvEntry,
  index: number,
  entries: ReadonlyMap<string, string>,
): Edit[] {
  const value = entries.get(entry.key);
  const unchanged = value === document.values.get(entry.key);
  if (value === undefined) return [removeLine(document.text, entry)];
  if (unchanged) return [];
  // An earlier line of a repeated key would keep its stale value in the file: drop it.
  if (document.entries.findLastIndex((other) => other.key === entry.key) !== index) {
    return [removeLine(document.text, entry)];
  }
  const encoded = encodeDotenvValue(value);
  if (encoded === undefined) throw unrepresentable(entry.key);
  if (entry.value !== null) return [{ ...entry.value, text: encoded }];
  const prefix = document.text.slice(entry.lineStart, entry.keyStart);
  return [{ start: entry.lineStart, end: entry.end, text: `${prefix}${entry.key}=${encoded}` }];
}

/** The entry's lines with the line break that ends them. */
function removeLine(text: string, entry: DotenvEntry): Edit {
  return { start: entry.lineStart, end: Math.min(entry.end + 1, text.length), text: '' };
}
