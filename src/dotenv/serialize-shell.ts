// Serialize key→value pairs as `export KEY='value'` lines that any POSIX sh can `eval` or source:
// single quotes take every byte literally, and a `'` is written as `'\''`.

import { EnvSyncError } from '../errors.ts';
import { validateKeyName } from './key-name.ts';

/** A shell variable name: dotenv also allows `.` and `-`, which sh rejects. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function serializeShell(entries: ReadonlyMap<string, string>): string {
  let text = '';
  for (const [key, value] of entries) {
    validateKeyName(key);
    if (!SHELL_NAME.test(key)) {
      throw new EnvSyncError(
        'E_KEY_NAME',
        `key ${key} is not a shell variable name (only letters, digits and _); use --format dotenv or json`,
      );
    }
    if (value.includes('\0')) {
      throw new EnvSyncError(
        'E_DOTENV_UNREPRESENTABLE',
        `the value of ${key} holds a NUL byte, which no shell variable can; use --format json`,
      );
    }
    text += `export ${key}='${value.replaceAll("'", "'\\''")}'\n`;
  }
  return text;
}
