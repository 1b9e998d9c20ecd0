// One command's `--help` (and the synopsis and options of its man page): a usage line with every option
// and named argument (`--env <name>`, never clipanion's `#0`), the global options, details and examples.

import type { Cli, CommandClass, Definition } from 'clipanion';
import { GLOBAL_OPTIONS } from './global-options.ts';
import { textBlocks, wrap } from './markdownish.ts';

/** What an option's value is, where its long name alone does not say (`--env <name>`, `-n <count>`). */
const VALUE_NAMES: Readonly<Record<string, string>> = {
  '--env': 'name',
  '--output': 'file',
  '--max-count': 'count',
  '--remote-program': 'program',
  '--resolve': 'key>=<ours|theirs',
  '--source': 'rev',
  '--from': 'env',
  '--into': 'env',
  '--listen': 'host:port',
  '--address': 'host:port',
  '--expires-in': 'days',
  '--expires': 'duration',
  '--cancel': 'id',
  '--reason': 'text',
  '--mode': 'mode',
  '-m': 'message',
  '-p': 'parent',
};

/** The arguments of the commands whose usage clipanion cannot name (a list of any length, `--`). */
const ARGUMENTS: Readonly<Record<string, string>> = {
  help: '[<command>...]',
  set: '<key>[=<value>]...',
  unset: '<key>...',
  restore: '<key>...',
  run: '[--] <command> [<arg>...]',
  diff: '[<rev> [<rev>]]',
  pull: '[<remote> [<env>...]]',
  push: '[<remote> [<env>...]]',
  'bundle create': '<file> [<env>...]',
  'rev-parse': '<rev>...',
  'update-ref': '<ref> [<new>] [<old>]',
  merge: '<remote>/<env>',
};

export interface OptionHelp {
  /** `-n, --max-count <count>` */
  readonly flags: string;
  /** `-n <count>` as the usage line shows it. */
  readonly short: string;
  readonly description: string;
  readonly required: boolean;
}

export interface CommandHelp {
  /** `history`, `env list` */
  readonly name: string;
  /** `env-sync history [--env <name>] [--json] [-n <count>] [<key>]` */
  readonly synopsis: string;
  /** The synopsis after the command's name, one option or the operands each: `[--env <name>]`. */
  readonly usageParts: readonly string[];
  /** The positional arguments alone: `[<key>]`. */
  readonly operands: string;
  readonly description: string;
  /** `Porcelain`, `Sync`, … as the full listing groups commands. */
  readonly category: string;
  readonly options: readonly OptionHelp[];
  readonly details: string;
  readonly examples: readonly (readonly [label: string, command: string])[];
}

/** clipanion's `-n,--max-count #0` as flags with a named value. */
export function describeOption(option: Definition['options'][number]): OptionHelp {
  const [names = '', ...values] = option.definition.split(' ');
  const list = names.split(',');
  const long = list.find((name) => name.startsWith('--')) ?? list[0]!;
  const value = values.length === 0 ? '' : ` <${VALUE_NAMES[long] ?? long.replace(/^-+/, '')}>`;
  return {
    flags: `${list.join(', ')}${value}`,
    short: `${list[0]}${value}`,
    description: option.description ?? '',
    required: option.required,
  };
}

/** The positional part of clipanion's usage, with names in angle brackets: `[KEY]` → `[<key>]`. */
function operandsOf(definition: Definition, name: string): string {
  const given = ARGUMENTS[name];
  if (given !== undefined) return given;
  return definition.usage
    .slice(`env-sync ${name}`.length)
    .trim()
    .replace(/<([^>]+)>/g, (_, arg: string) => `<${arg.toLowerCase()}>`)
    .replace(/\[([^\]<]+)\]/g, (_, arg: string) => `[<${arg.toLowerCase()}>]`);
}

/** The help of each command in `cli`, by name (`env list`). */
export function commandHelps(
  cli: Pick<Cli, 'definitions'>,
  commands: readonly CommandClass[],
): CommandHelp[] {
  const byPath = new Map(commands.map((command) => [command.paths?.[0]?.join(' ') ?? '', command]));
  return cli.definitions().flatMap((definition) => {
    const name = definition.path.replace(/^env-sync ?/, '');
    const usage = byPath.get(name)?.usage;
    if (name === '' || usage === undefined) return [];
    const options = definition.options.map(describeOption);
    const operands = operandsOf(definition, name);
    const usageParts = [...options.map((o) => (o.required ? o.short : `[${o.short}]`)), operands].filter(
      (part) => part !== '',
    );
    return [
      {
        name,
        synopsis: ['env-sync', name, ...usageParts].join(' '),
        usageParts,
        operands,
        description: usage.description ?? '',
        category: usage.category ?? 'Other',
        options,
        details: usage.details ?? '',
        examples: (usage.examples ?? []).map(([label, line]) => [label, line.replace(/\$0/g, 'env-sync')]),
      },
    ];
  });
}

export const WIDTH = 80;

/** The text `env-sync <command> --help` prints. */
export function renderHelp(help: CommandHelp): string {
  const out = [...usageLines(help), '', ...wrap(capitalize(help.description.trim()), WIDTH), ''];
  if (help.options.length > 0) {
    out.push('Options', ...table(help.options.map((o) => [o.flags, o.description])), '');
  }
  out.push('Global options', ...table(GLOBAL_OPTIONS), '');
  if (help.details.trim() !== '') {
    out.push('Details');
    for (const block of textBlocks(help.details)) {
      out.push(
        ...(block.kind === 'item'
          ? wrap(block.text, WIDTH - 4).map((line, i) => `${i === 0 ? '  - ' : '    '}${line}`)
          : wrap(block.text, WIDTH - 2).map((line) => `  ${line}`)),
        '',
      );
    }
  }
  if (help.examples.length > 0) {
    out.push('Examples');
    for (const [label, command] of help.examples)
      out.push(...wrap(label, WIDTH - 2).map((line) => `  ${line}`), `    $ ${command}`, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** `usage: env-sync <name> …`, wrapped as git wraps it: later lines start under the first option. */
export function usageLines(help: CommandHelp, prefix = 'usage: '): string[] {
  const head = `${prefix}env-sync ${help.name}`;
  const lines = [head];
  for (const part of help.usageParts) {
    const last = lines.length - 1;
    if (lines[last]!.length + 1 + part.length > WIDTH && lines[last]!.length > head.length)
      lines.push(`${' '.repeat(head.length)} ${part}`);
    else lines[last] = `${lines[last]} ${part}`;
  }
  return lines;
}

/** Flags and their descriptions in two columns; flags too wide for the column get a line of their own. */
function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.min(28, Math.max(...rows.map(([flags]) => flags.length)));
  const indent = ' '.repeat(width + 4);
  return rows.flatMap(([flags, text]) => {
    const lines = wrap(text, WIDTH - width - 4);
    if (flags.length > width || lines.length === 0)
      return [`  ${flags}`, ...lines.map((line) => indent + line)];
    return lines.map((line, i) => (i === 0 ? `  ${flags.padEnd(width)}  ${line}` : indent + line));
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
