// Key names: the dotenv rule `[A-Za-z_][A-Za-z0-9_.-]*`, minus `__proto__`, which dotenv's parser
// silently drops (it assigns into a plain object). A key name is not a secret, so errors may name it.

import { EnvSyncError } from '../errors.ts';
import { KEY_NAME_PATTERN } from '../store/objects.ts';

// One rule for the object format and for .env files: the store owns it.
export { KEY_NAME_PATTERN };

/** The rule, as users read it in messages and docs. */
export const KEY_NAME_RULE = 'letters, digits, _ . - and not starting with a digit, . or -';

export function isValidKeyName(name: string): boolean {
  return KEY_NAME_PATTERN.test(name) && name !== '__proto__';
}

/** Throws E_KEY_NAME unless `name` is a valid key name; returns it otherwise. */
export function validateKeyName(name: string): string {
  if (isValidKeyName(name)) return name;
  if (name === '__proto__') {
    throw new EnvSyncError('E_KEY_NAME', 'invalid key name __proto__: it is reserved');
  }
  const shown = name === '' ? 'invalid key name: it is empty' : `invalid key name ${JSON.stringify(name)}`;
  throw new EnvSyncError('E_KEY_NAME', `${shown} (use ${KEY_NAME_RULE})`);
}
