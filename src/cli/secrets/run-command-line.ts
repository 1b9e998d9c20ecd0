// What `env-sync run` hands to the command it runs, and how it reports a command that could not start: shared
// by its two ways of running it (run-exec.ts, which replaces the process, and run-spawn.ts, a child).

import type { Writable } from 'node:stream';
import { CI_CREDENTIAL_VARIABLE } from '../../crypto/ci-credential.ts';
import { EnvSyncError } from '../../errors.ts';

/**
 * The command's environment: the process's own variables, then the environment's keys over them. A CI
 * credential given to env-sync is not passed on: the command gets the values, never the key to them.
 */
export function commandEnvironment(entries: Iterable<readonly [string, string]>): Map<string, string> {
  const env = new Map<string, string>();
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && name !== CI_CREDENTIAL_VARIABLE) env.set(name, value);
  }
  for (const [key, value] of entries) env.set(key, value);
  return env;
}

/**
 * A value holding a NUL byte cannot be passed to a program (its environment is C strings): refused up front,
 * naming the key, never the value (Node's own error for it quotes the value). Argument vectors and the
 * process's own variables come from C strings, so they cannot hold one.
 */
export function assertPassable(entries: Iterable<readonly [string, string]>): void {
  for (const [key, value] of entries) {
    if (value.includes('\0'))
      throw new EnvSyncError(
        'E_NOT_PASSABLE',
        `cannot pass ${key} to the command: its value holds a NUL byte`,
      );
  }
}

/** The exit status and one-line message of a command that could not start, as shells report it. */
export function cannotRun(file: string, code: string | undefined, stderr: Writable): number {
  const notFound = code === 'ENOENT';
  stderr.write(
    `env-sync: cannot run '${file}': ${notFound ? 'command not found' : (code ?? 'failed to start')}\n`,
  );
  return notFound ? 127 : 126;
}
