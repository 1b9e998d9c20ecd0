// `env-sync help [<command>…]`: the same text as `env-sync <command> --help`, like `git help`.

import { Command, type Definition, Option } from 'clipanion';
import { EnvSyncError } from '../errors.ts';
import { didYouMean } from '../suggest.ts';
import { EnvSyncCommand } from './base-command.ts';

/**
 * For words that start commands without being one (`bundle`, `env`, `peer`, `remote`…): the usage line and
 * description of each command under them, as `git remote -h` lists its subcommands. Null for anything else.
 */
export function subcommandListing(
  cli: { definitions(): Definition[] },
  words: readonly string[],
): string | null {
  if (words.length === 0) return null;
  const named = `env-sync ${words.join(' ')}`;
  const definitions = cli.definitions();
  const under = definitions.filter((definition) => definition.path.startsWith(`${named} `));
  if (under.length === 0 || definitions.some((definition) => definition.path === named)) return null;
  const lines = under.map(
    (definition) => `  ${definition.usage.trim()}\n    ${(definition.description ?? '').trim()}\n`,
  );
  return `'${named}' needs a subcommand:\n\n${lines.join('\n')}\nSee 'env-sync help ${words.join(' ')} <subcommand>' for one of them.\n`;
}

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
    const listing = subcommandListing(this.cli, this.command);
    if (listing !== null) {
      this.context.stdout.write(listing);
      return 0;
    }
    const asked = this.command.join(' ');
    const commands = this.cli.definitions().map((definition) => definition.path.replace(/^\S+ /, ''));
    if (asked !== '' && !commands.includes(asked)) {
      throw new EnvSyncError(
        'E_USAGE',
        `'${asked}' is not an env-sync command${didYouMean(asked, commands)}; see 'env-sync --help'`,
      );
    }
    return this.cli.run([...this.command, '--help']);
  }
}
