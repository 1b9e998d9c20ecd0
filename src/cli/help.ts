// `env-sync help [<command>…]`: the same text as `env-sync <command> --help`, like `git help`.

import { Command, Option } from 'clipanion';
import { EnvSyncCommand } from './base-command.ts';

export class HelpCommand extends EnvSyncCommand {
  static override paths = [['help']];
  static override usage = Command.Usage({
    category: 'Help',
    description: 'show help for a command',
    details: "With no argument, lists every command. With a command name, prints that command's help.",
    examples: [
      ['List every command', '$0 help'],
      ['Show the help of `cat-file`', '$0 help cat-file'],
    ],
  });

  command = Option.Rest();

  async execute(): Promise<number> {
    return this.cli.run([...this.command, '--help']);
  }
}
