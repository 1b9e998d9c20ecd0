// Serialize key→value pairs as one JSON object, keys sorted by code unit, two-space indent and a
// final newline: the format that represents every value, for tools and for values .env cannot hold.

import { validateKeyName } from './key-name.ts';

export function serializeJson(entries: ReadonlyMap<string, string>): string {
  const keys = [...entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const object: Record<string, string> = {};
  for (const key of keys) {
    validateKeyName(key);
    object[key] = entries.get(key)!;
  }
  return `${JSON.stringify(object, null, 2)}\n`;
}
