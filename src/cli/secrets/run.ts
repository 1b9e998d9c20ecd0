// `env-sync run -- CMD …`: run a command with an environment's variables, writing no file.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import { SecretsCommand } from './secrets-command.ts';

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

export class RunCommand extends SecretsCommand {
  static override paths = [['run']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: "run a command with an environment's variables",
    details: `
      Runs \`CMD\` with the environment's keys as variables, laid over the current process environment (a key
      of the environment wins over a variable of the same name). No file is written. Put \`--\` before the
      command so its own options are not read as env-sync's.

      Signals env-sync receives (INT, TERM, HUP, QUIT, USR1, USR2, WINCH) are forwarded to the command, and
      env-sync exits with the command's exit code, or with 128 + the signal number when a signal ended it, as
      shells do. A command that cannot be found exits 127; one that cannot be executed, 126.
    `,
    examples: [
      ['Start the app with main', '$0 run -- npm start'],
      ['Run the tests against staging', '$0 run --env staging -- npm test'],
      ['Use a variable in a shell command', '$0 run -- sh -c \'psql "$DATABASE_URL"\''],
    ],
  });

  command = Option.Proxy({ required: 1, name: 'CMD' });

  async execute(): Promise<number> {
    const args = this.command[0] === '--' ? this.command.slice(1) : this.command;
    if (args.length === 0) throw new EnvSyncError('E_USAGE', 'give the command to run after --');
    const state = await readExistingEnvironment(await this.openSession(), this.env);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [key, value] of state.entries) env[key] = value;
    return runChild(args[0]!, args.slice(1), env);
  }
}

function runChild(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
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
