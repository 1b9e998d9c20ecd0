// `env-sync run` by execve: the command takes over this process, as `exec` does in a shell, so there is no
// Node parent left to fork, wait on and forward signals through. Node 20 has no execve of its own: the native
// helper src/native/replace-process.c does it (built into dist/ by scripts/build-native.mjs), handed in by
// bin/env-sync.js, the only caller that may give its process away.

import type { Writable } from 'node:stream';
import { getSystemErrorName } from 'node:util';
import { cannotRun } from './run-command-line.ts';

/**
 * execve with execvp's PATH search in `env`'s PATH, the program getting the standard descriptors and those of
 * `keep`; returns only on failure, with the errno.
 */
export type ReplaceProcess = (file: string, argv: string[], env: string[], keep: number[]) => number;

/** The most descriptors a socket-activating service manager is believed to pass. */
const MAX_LISTEN_FDS = 1024;

/**
 * The descriptors passed to this very process by socket activation (sd_listen_fds(3): LISTEN_PID is our pid,
 * LISTEN_FDS counts them from 3). Node marks descriptors 3 to 15 close-on-exec when it starts, as it can not
 * tell them from its own; these must reach the command, which now has the pid LISTEN_PID names.
 */
export function socketActivationDescriptors(env: NodeJS.ProcessEnv, pid: number): number[] {
  if (env.LISTEN_PID !== String(pid) || !/^[1-9][0-9]{0,3}$/.test(env.LISTEN_FDS ?? '')) return [];
  const count = Math.min(Number(env.LISTEN_FDS), MAX_LISTEN_FDS);
  return Array.from({ length: count }, (_, i) => 3 + i);
}

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
    socketActivationDescriptors(process.env, process.pid),
  );
  return cannotRun(file, getSystemErrorName(-error), stderr);
}
