// `env-sync run` as a parent: the command runs as a child on the same terminal, env-sync forwards the
// signals it gets and exits with the child's status. The way where the process cannot be replaced
// (run-exec.ts): a Node without execve, a command execve could not start, a CLI run inside another program.

import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { cannotRun } from './run-command-line.ts';

/** Signals passed on to the child; SIGKILL and SIGSTOP cannot be caught. */
const FORWARDED: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
];

/** Runs `file` as a child; resolves with its exit status, or 128 + the signal that ended it, as shells do. */
export function spawnCommand(
  file: string,
  args: readonly string[],
  env: ReadonlyMap<string, string>,
  stderr: Writable,
): Promise<number> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, { env: Object.fromEntries(env), stdio: 'inherit' });
    } catch (error) {
      // Refused before any process was made (E2BIG: the environment is too large for the kernel, say).
      resolve(cannotRun(file, (error as NodeJS.ErrnoException).code, stderr));
      return;
    }
    const forward = (signal: NodeJS.Signals) => {
      child.kill(signal);
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    const stopForwarding = () => {
      for (const signal of FORWARDED) process.removeListener(signal, forward);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      stopForwarding();
      resolve(cannotRun(file, error.code, stderr));
    });
    // 'close' rather than 'exit': the child's handle is closed too, so nothing is left for Node to wait for.
    child.on('close', (code, signal) => {
      stopForwarding();
      resolve(signal === null ? (code ?? 1) : 128 + (constants.signals[signal] ?? 0));
    });
  });
}
