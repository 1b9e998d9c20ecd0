// Key names and values given on the command line. An invalid "key" is never echoed: it may be a pasted
// secret or a KEY=VALUE whose key part holds one (`postgres://user:pass@host=…`).

import { keyNameHint } from '../../dotenv/index.ts';
import { EnvSyncError } from '../../errors.ts';

export function checkKeyArgument(name: string, position: number): string {
  const hint = keyNameHint(name);
  if (hint === null) return name;
  throw new EnvSyncError('E_KEY_NAME', `argument ${position} is not a valid key name (${hint})`);
}

/** `KEY=VALUE` split at the first `=`; the value may hold more `=`. */
export function splitAssignment(argument: string, position: number): [string, string] {
  const at = argument.indexOf('=');
  return [checkKeyArgument(argument.slice(0, at), position), argument.slice(at + 1)];
}

/**
 * Stdin bytes as a value: strict UTF-8, minus one trailing newline (what `echo` and editors add). A leading
 * U+FEFF is kept: a value is stored exactly as given.
 */
export function valueFromInput(bytes: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new EnvSyncError('E_USAGE', 'the value on stdin is not valid UTF-8');
  }
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}
