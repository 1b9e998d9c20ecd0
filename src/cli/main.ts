// Entry point: global options (`-C <dir>`, `--debug`), then clipanion dispatch. Usage errors exit 2 with
// one line on stderr; failures exit with the error's code; stack traces only with --debug.

import path from 'node:path';
import { type BaseContext, Cli, type CommandClass } from 'clipanion';
import { setNoticeSink } from '../notices.ts';
import { didYouMean } from '../suggest.ts';
import { describeError, EnvSyncCommand, type EnvSyncContext } from './base-command.ts';
import { commandHelps } from './command-help.ts';
import { explainUsageError, splitAttachedValues } from './command-line.ts';
import { commandListing, commandNamed, helpOf, overview, subcommandListing } from './help.ts';
import { commandsFor } from './registry.ts';
import { processStdio } from './stdio.ts';
import { VERSION } from './version.ts';

export { renderManPages } from './man-pages.ts';
export { allCommands } from './registry.ts';
export { VERSION };

export function buildCli(commands: readonly CommandClass<EnvSyncContext>[]): Cli<EnvSyncContext> {
  const cli = new Cli<EnvSyncContext>({
    binaryLabel: 'env-sync',
    binaryName: 'env-sync',
    binaryVersion: VERSION,
    enableColors: false,
  });
  for (const command of commands) cli.register(command);
  return cli;
}

/**
 * Clipanion reports any input that matches no command shape as "Command not found": tell apart a command
 * that does not exist from a known command given the wrong arguments.
 */
function usageErrorLine(message: string, args: readonly string[], commands: readonly CommandClass[]): string {
  const words = args.filter((arg) => !arg.startsWith('-'));
  const paths = commands.flatMap((command) => command.paths ?? []).filter((path) => path.length > 0);
  const known = paths
    .filter((path) => path.every((word, i) => words[i] === word))
    .sort((a, b) => b.length - a.length)[0];
  if (!message.startsWith('Command not found')) {
    const help = known === undefined ? 'env-sync --help' : `env-sync help ${known.join(' ')}`;
    return `${withoutArgumentValues(message).replace(/\.$/, '')}; see '${help}'`;
  }
  if (known !== undefined)
    return `wrong arguments for '${known.join(' ')}'; see 'env-sync help ${known.join(' ')}'`;
  // The longest start of the command line that some command starts with (`bundle` in `bundle foo`).
  const matched = Math.max(0, ...paths.map((path) => path.findIndex((word, i) => words[i] !== word)));
  const group = words.slice(0, matched).join(' ');
  const asked = words.slice(0, matched + 1).join(' ');
  const help = matched === 0 ? 'env-sync --help' : `env-sync help ${group}`;
  const siblings = paths
    .filter((path) => path.length > matched && path.slice(0, matched).every((word, i) => words[i] === word))
    .map((path) => path.slice(0, matched + 1).join(' '));
  return `'${asked}' is not an env-sync command${didYouMean(asked, siblings)}; see '${help}'`;
}

/**
 * Clipanion quotes the offending argument (`Extraneous positional argument ("…")`, `expected a number (got
 * "…")`): a value typed in the wrong place may be a secret, so only an option's name is kept, as a one-line
 * error must not echo values.
 */
function withoutArgumentValues(message: string): string {
  return message.replace(/ \((got )?"((?:[^"\\]|\\.)*)"\)/g, (_, got: string | undefined, quoted: string) =>
    got === undefined && quoted.startsWith('-') ? ` (${quoted.split('=')[0]})` : '',
  );
}

/** For the completion scripts: the candidates for the last word of `words`, one a line. */
async function printCompletions(words: readonly string[], stdout: EnvSyncContext['stdout']): Promise<number> {
  // Once the command's first word is typed, only its module is loaded, as for running it.
  const commands = await commandsFor(words.length > 1 ? words : []);
  const [{ complete, directoryOption }, { repositoryNames }] = await Promise.all([
    import('./completion/complete.ts'),
    import('./completion/repository-names.ts'),
  ]);
  const dir = path.resolve(directoryOption(words) ?? '.');
  const candidates = await complete(words, commandHelps(buildCli(commands), commands), repositoryNames(dir));
  stdout.write(candidates.map((candidate) => `${candidate}\n`).join(''));
  return 0;
}

/** Removes `flag` from `args` when it comes before any `--`; whether it was there. */
function takeFlag(args: string[], flag: string): boolean {
  const at = args.indexOf(flag);
  const separator = args.indexOf('--');
  if (at < 0 || (separator >= 0 && separator < at)) return false;
  args.splice(at, 1);
  return true;
}

function firstOptionAt(args: readonly string[]): number {
  const at = args.findIndex((arg) => arg.startsWith('-'));
  return at < 0 ? args.length : at;
}

/**
 * The words naming a command whose help is asked for: `help env list`, or `env list --help` (`-h`, before
 * any `--`); null when the command line asks for no help.
 */
function helpRequest(args: readonly string[]): string[] | null {
  if (args[0] === 'help') return args.slice(1);
  const own = args.indexOf('--') < 0 ? args : args.slice(0, args.indexOf('--'));
  if (!own.includes('--help') && !own.includes('-h')) return null;
  return own.filter((arg) => !arg.startsWith('-'));
}

/** Runs the command line `argv`; `options` are passed to commands (see EnvSyncContext). */
export async function main(
  argv: string[],
  options: Omit<EnvSyncContext, keyof BaseContext> = {},
): Promise<number> {
  const context = { ...processStdio(), ...options };
  setNoticeSink((text) => context.stderr.write(`env-sync: ${text}\n`));
  if (argv[0] === '__complete') return printCompletions(argv.slice(1), context.stdout);
  const taken = takeGlobalOptions(argv, context.stderr);
  if (taken === null) return 2;
  let args = taken;
  const commands = await commandsFor(args);
  const cli = buildCli(commands);
  const help = helpText(cli, commands, args);
  if (help !== null) {
    context.stdout.write(help);
    return 0;
  }
  // Only a command line with a short option and more after it (`-n1`) pays for the command's definitions.
  const known = () => commandNamed(cli, commands, args.slice(0, firstOptionAt(args)));
  if (args.some((arg) => /^-[^-]./.test(arg))) {
    const named = known();
    if (named !== null) args = splitAttachedValues(args, named);
  }
  let command: ReturnType<Cli<EnvSyncContext>['process']>;
  try {
    command = cli.process(args, context);
  } catch (error) {
    const listing = subcommandListing(cli, args.slice(0, firstOptionAt(args)));
    if (listing !== null) {
      const asked = args.includes('--help') || args.includes('-h');
      (asked ? context.stdout : context.stderr).write(listing);
      return asked ? 0 : 2;
    }
    const message = describeError(error).message;
    const named = known();
    const explained = named === null ? null : explainUsageError(message, args, named);
    const line =
      explained === null
        ? usageErrorLine(message, args, commands)
        : `${explained}; see 'env-sync help ${named!.name}'`;
    context.stderr.write(`env-sync: ${line}\n`);
    return 2;
  }
  const exitCode = await cli.run(command, context);
  if (command instanceof EnvSyncCommand && command.failure !== null) return command.failure.exitCode;
  return exitCode;
}

/**
 * The command line without its global options, which they set up: `-C <path>` and `--debug` before the
 * command, as in git, and `--debug` and `--no-color` anywhere before `--`. Null when `-C` names no directory.
 */
function takeGlobalOptions(argv: readonly string[], stderr: EnvSyncContext['stderr']): string[] | null {
  const args = [...argv];
  for (;;) {
    if (args[0] === '-C' && args[1] !== undefined) {
      try {
        process.chdir(args[1]);
      } catch {
        stderr.write(`env-sync: cannot change to '${args[1]}': no such directory\n`);
        return null;
      }
      args.splice(0, 2);
    } else if (args[0] === '--debug') {
      process.env.ENV_SYNC_DEBUG = '1';
      args.splice(0, 1);
    } else break;
  }
  if (takeFlag(args, '--debug')) process.env.ENV_SYNC_DEBUG = '1';
  if (takeFlag(args, '--no-color')) process.env.NO_COLOR = '1';
  return args;
}

/** What `env-sync` alone, `help`, `--help` or `<command> --help` prints; null for any other command line. */
function helpText(
  cli: Cli<EnvSyncContext>,
  commands: readonly CommandClass[],
  args: readonly string[],
): string | null {
  if (args.length === 0) return overview(cli);
  const words = helpRequest(args);
  if (words === null) return null;
  return words.length === 0 ? commandListing(cli, commands) : helpOf(cli, commands, words);
}
