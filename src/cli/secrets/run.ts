// `env-sync run -- CMD …`: run a command with an environment's variables, writing no file.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { ReadingCommand } from './reading-command.ts';
import { assertPassable, cannotRun, commandEnvironment } from './run-command-line.ts';
import { replaceProcess } from './run-exec.ts';
import { spawnCommand } from './run-spawn.ts';

export class RunCommand extends ReadingCommand {
  static override paths = [['run']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: "run a command with an environment's variables",
    details: `
      Runs \`CMD\` with the environment's keys as variables, laid over the current process environment (a key
      of the environment wins over a variable of the same name). No file is written. Put \`--\` before the
      command so its own options are not read as env-sync's. \`CMD\` is looked up in the PATH it is given.

      On Node 22.15, 23.11 and later (not on Windows), \`CMD\` takes over the env-sync process, as \`exec\`
      does in a shell: it keeps the process id, receives signals sent to it directly, and its exit status is
      the one the caller sees. Otherwise env-sync runs \`CMD\` as a child on the same terminal, forwards the
      signals it receives (INT, TERM, HUP, QUIT, USR1, USR2, WINCH), and exits with the command's exit code,
      or with 128 + the signal number when a signal ended it, as shells report it. A command that cannot be
      found exits 127; one that cannot be executed, 126.
    `,
    examples: [
      ['Start the app with the current environment', '$0 run -- npm start'],
      ['Run the tests against staging', '$0 run --env staging -- npm test'],
      ['Use a variable in a shell command', '$0 run -- sh -c \'psql "$DATABASE_URL"\''],
    ],
  });

  command = Option.Proxy({ required: 1, name: 'CMD' });

  async execute(): Promise<number> {
    const [file, ...args] = this.command[0] === '--' ? this.command.slice(1) : this.command;
    if (file === undefined) throw new EnvSyncError('E_USAGE', 'give the command to run after --');
    const { entries } = await this.readValues();
    assertPassable(entries);
    const env = commandEnvironment(entries);
    // No program has the empty name; spawn would refuse it as an invalid argument instead.
    if (file === '') return cannotRun(file, 'ENOENT', this.context.stderr);
    if (this.context.mayReplaceProcess === true) replaceProcess(file, args, env);
    return spawnCommand(file, args, env, this.context.stderr);
  }
}
