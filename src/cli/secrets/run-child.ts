// `run`'s command as a child of Node, for when no shell execs it (see exec-plan.ts): signals forwarded, and
// the exit status a shell would report.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';

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

/** Runs `file` with `args` and `env`, stdio inherited; resolves with the status a shell would report. */
export function runChild(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => {
      child.kill(signal);
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    const stopForwarding = () => {
      for (const signal of FORWARDED) process.removeListener(signal, forward);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      stopForwarding();
      const notFound = error.code === 'ENOENT';
      process.stderr.write(
        `env-sync: cannot run '${file}': ${notFound ? 'command not found' : (error.code ?? 'failed to start')}\n`,
      );
      resolve(notFound ? 127 : 126);
    });
    // 'close' rather than 'exit': the child's handle is closed too, so nothing is left for Node to wait for.
    child.on('close', (code, signal) => {
      stopForwarding();
      resolve(signal === null ? (code ?? 1) : 128 + (constants.signals[signal] ?? 0));
    });
  });
}
