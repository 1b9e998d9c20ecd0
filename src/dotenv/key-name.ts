// Key names: the dotenv rule `[A-Za-z_][A-Za-z0-9_.-]*`, minus `__proto__`, which dotenv's parser
// silently drops (it assigns into a plain object). A key name is not a secret, so errors may name it.

import { EnvSyncError } from '../errors.ts';
import { MAX_KEY_BYTES } from '../store/limits.ts';
import { KEY_NAME_PATTERN } from '../store/objects.ts';

// One rule for the object format and for .env files: the store owns it.
export { KEY_NAME_PATTERN };

/** The rule, as users read it in messages and docs. */
export const KEY_NAME_RULE = 'letters, digits, _ . - and not starting with a digit, . or -';

export function isValidKeyName(name: string): boolean {
  return keyNameHint(name) === null;
}

/** Why `name` is not a valid key name, as the hint of a message that does not echo it; null when it is. */
export function keyNameHint(name: string): string | null {
  if (name.length > MAX_KEY_BYTES) return `${name.length} characters; the limit is ${MAX_KEY_BYTES}`;
  if (name === '__proto__') return 'it is reserved';
  return KEY_NAME_PATTERN.test(name) ? null : `use ${KEY_NAME_RULE}`;
}

/** Throws E_KEY_NAME unless `name` is a valid key name; returns it otherwise. */
export function validateKeyName(name: string): string {
  const hint = keyNameHint(name);
  if (hint === null) return name;
  if (name === '__proto__') throw new EnvSyncError('E_KEY_NAME', `invalid key name __proto__: ${hint}`);
  if (name.length > MAX_KEY_BYTES) throw new EnvSyncError('E_KEY_NAME', `invalid key name: ${hint}`);
  const shown = name === '' ? 'invalid key name: it is empty' : `invalid key name ${JSON.stringify(name)}`;
  throw new EnvSyncError('E_KEY_NAME', `${shown} (${hint})`);
}
