// Entry point: global options (`-C <dir>`, `--debug`), then clipanion dispatch. Usage errors exit 2 with
// one line on stderr; failures exit with the error's code; stack traces only with --debug.

import { Cli } from 'clipanion';
import { describeError, EnvSyncCommand } from './base-command.ts';
import { commands } from './registry.ts';
import { VERSION } from './version.ts';

export { renderManPages } from './man-pages.ts';
export { VERSION };

export function buildCli(): Cli {
  const cli = new Cli({
    binaryLabel: 'env-sync',
    binaryName: 'env-sync',
    binaryVersion: VERSION,
    enableColors: false,
  });
  for (const command of commands) cli.register(command);
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  let args = [...argv];
  // Global options come before the command, as in git.
  for (;;) {
    if (args[0] === '-C' && args[1] !== undefined) {
      try {
        process.chdir(args[1]);
      } catch {
        process.stderr.write(`env-sync: cannot change to '${args[1]}': no such directory\n`);
        return 2;
      }
      args = args.slice(2);
    } else if (args[0] === '--debug') {
      process.env.ENV_SYNC_DEBUG = '1';
      args = args.slice(1);
    } else break;
  }
  const separator = args.indexOf('--');
  const debugAt = args.indexOf('--debug');
  if (debugAt >= 0 && (separator < 0 || debugAt < separator)) {
    process.env.ENV_SYNC_DEBUG = '1';
    args.splice(debugAt, 1);
  }
  const cli = buildCli();
  let command: ReturnType<Cli['process']>;
  try {
    command = cli.process(args.length === 0 ? ['--help'] : args);
  } catch (error) {
    const message = describeError(error).message;
    const unknown = message.startsWith('Command not found');
    const text = unknown ? `'${args[0]}' is not an env-sync command` : message;
    process.stderr.write(`env-sync: ${text}; see 'env-sync --help'\n`);
    return 2;
  }
  const exitCode = await cli.run(command, {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  });
  if (command instanceof EnvSyncCommand && command.failure !== null) return command.failure.exitCode;
  return exitCode;
}
