// `env-sync run` by execve: the command takes over this process, as `exec` does in a shell, so there is no
// Node parent left to fork, wait on and forward signals through. Node 20 has no execve of its own: the native
// helper src/native/replace-process.c does it (built into dist/ by scripts/build.mjs), handed in by
// bin/env-sync.js, the only caller that may give its process away.

import type { Writable } from 'node:stream';
import { getSystemErrorName } from 'node:util';
import { cannotRun } from './run-command-line.ts';

/** execve with execvp's PATH search in `env`'s PATH; returns only on failure, with the errno. */
export type ReplaceProcess = (file: string, argv: string[], env: string[]) => number;

/** Runs `file` in place of this process; returns the exit status to report when it could not be started. */
export function execCommand(
  replaceProcess: ReplaceProcess,
  file: string,
  args: readonly string[],
  env: ReadonlyMap<string, string>,
  stderr: Writable,
): number {
  const error = replaceProcess(
    file,
    [file, ...args],
    Array.from(env, ([name, value]) => `${name}=${value}`),
  );
  return cannotRun(file, getSystemErrorName(-error), stderr);
}
