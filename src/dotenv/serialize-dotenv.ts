// Serialize key→value pairs as `.env` text that dotenv's `parse` reads back exactly, or refuse
// with E_DOTENV_UNREPRESENTABLE naming the key. Quoting rules: ./quote.ts and docs/dotenv-format.md.

import dotenv from 'dotenv';
import { EnvSyncError } from '../errors.ts';
import { validateKeyName } from './key-name.ts';
import { encodeDotenvValue } from './quote.ts';

/** Lines in the map's order, each `KEY=value`, with a final newline; an empty map gives ''. */
export function serializeDotenv(entries: ReadonlyMap<string, string>): string {
  let text = '';
  for (const [key, value] of entries) {
    validateKeyName(key);
    const encoded = encodeDotenvValue(value);
    if (encoded === undefined) throw unrepresentable(key);
    text += `${key}=${encoded}\n`;
  }
  // The quoting rules are proven by property tests; this re-read guards secrets against a rule we got wrong.
  const reread = dotenv.parse(text);
  for (const [key, value] of entries) {
    if (reread[key] !== value) throw unrepresentable(key);
  }
  return text;
}

export function unrepresentable(key: string): EnvSyncError {
  return new EnvSyncError(
    'E_DOTENV_UNREPRESENTABLE',
    `the value of ${key} cannot be written in .env format (see docs/dotenv-format.md); ` +
      'use --format json or --format shell',
  );
}
