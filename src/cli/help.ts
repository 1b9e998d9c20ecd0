// `env-sync help [<command>…]`: the same text as `env-sync <command> --help`, like `git help`.

import { Command, type CommandClass, type Definition, Option } from 'clipanion';
import { EnvSyncError } from '../errors.ts';
import { didYouMean } from '../suggest.ts';
import { EnvSyncCommand } from './base-command.ts';
import { type CommandHelp, commandHelps, renderHelp, usageLines, WIDTH } from './command-help.ts';
import { GLOBAL_OPTIONS } from './global-options.ts';
import { wrap } from './markdownish.ts';

const USAGE = 'usage: env-sync [-C <path>] [--debug] [--no-color] <command> [<args>]';
const GLOBAL_HELP = `Global options\n${GLOBAL_OPTIONS.flatMap(([flags, text]) =>
  wrap(text, WIDTH - 14).map((line, i) => `  ${(i === 0 ? flags : '').padEnd(12)}${line}`),
).join('\n')}\n`;

/** What `env-sync` alone shows: the common commands by workflow, as `git` alone does. */
const OVERVIEW: readonly (readonly [string, readonly string[]])[] = [
  ['start a repository or join one', ['init', 'clone', 'identity show']],
  ['work with secrets', ['set', 'get', 'list', 'run', 'import', 'export', 'status']],
  ['environments and history', ['checkout', 'env list', 'env create', 'history', 'diff']],
  ['sync with peers', ['remote add', 'fetch', 'pull', 'push', 'serve']],
  ['team', ['peer invite', 'peer request', 'peer approve', 'peer list', 'peer revoke']],
];

/** The overview: each group's commands with their one-line descriptions (a command not built is left out). */
export function overview(cli: { definitions(): Definition[] }): string {
  const described = new Map(
    cli
      .definitions()
      .map((definition) => [definition.path.replace(/^\S+ /, ''), definition.description ?? '']),
  );
  const width = Math.max(...OVERVIEW.flatMap(([, names]) => names.map((name) => name.length)));
  const groups = OVERVIEW.map(([title, names]) => {
    const lines = names
      .filter((name) => described.has(name))
      .map((name) => `   ${name.padEnd(width)}   ${described.get(name)!.trim()}`);
    return `${title}\n${lines.join('\n')}`;
  });
  return [
    USAGE,
    '',
    ...groups.flatMap((group) => [group, '']),
    "'env-sync help' lists every command; 'env-sync help <command>' (or 'man env-sync-<command>') shows one.",
    '',
  ].join('\n');
}

/** The order of the full listing: what a person uses first, the plumbing last. */
const CATEGORIES = ['Porcelain', 'Sync', 'Membership', 'Identity', 'Plumbing', 'Help'];

/** `env-sync help` and `env-sync --help`: every command's usage line and description, by category. */
export function commandListing(
  cli: { definitions(): Definition[] },
  commands: readonly CommandClass[],
): string {
  const helps = commandHelps(cli, commands);
  const rank = (category: string) =>
    (CATEGORIES.indexOf(category) + CATEGORIES.length + 1) % (CATEGORIES.length + 1);
  const categories = [...new Set(helps.map((help) => help.category))].sort((a, b) => rank(a) - rank(b));
  const sections = categories.map((category) => {
    const lines = helps
      .filter((help) => help.category === category)
      .flatMap((help) => [
        ...usageLines(help, '  '),
        ...wrap(help.description, WIDTH - 6).map((line) => `      ${line}`),
      ]);
    return `${category}\n${lines.join('\n')}\n`;
  });
  return [USAGE, '', ...sections, GLOBAL_HELP, ''].join('\n');
}

/**
 * The help of the command the words name (`env list`, or `set` in `set KEY`: the longest command the words
 * start with), or null when they name none.
 */
export function helpOf(
  cli: { definitions(): Definition[] },
  commands: readonly CommandClass[],
  words: readonly string[],
): string | null {
  const named = commandNamed(cli, commands, words);
  return named === null ? null : renderHelp(named);
}

/** The command the words start with (the longest, `env list` rather than `env`), or null. */
export function commandNamed(
  cli: { definitions(): Definition[] },
  commands: readonly CommandClass[],
  words: readonly string[],
): CommandHelp | null {
  return (
    commandHelps(cli, commands)
      .filter((help) => help.name.split(' ').every((word, i) => words[i] === word))
      .sort((a, b) => b.name.length - a.name.length)[0] ?? null
  );
}

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
