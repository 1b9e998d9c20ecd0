// What the command line of a known command needs before and after clipanion parses it: short options with
// an attached value split apart (`-n1` → `-n 1`, as getopt reads them), and usage errors said in words that
// name what is missing or mistyped (`missing <key>`, `unknown option '--jsno' (did you mean '--json'?)`).

import { didYouMean } from '../suggest.ts';
import type { CommandHelp } from './command-help.ts';

/** The options of `help` that take a value: `-n` and `--max-count` for `-n, --max-count <count>`. */
export function optionsWithValue(help: CommandHelp): Set<string> {
  return new Set(
    help.options.filter((o) => o.flags.includes(' <')).flatMap((o) => o.flags.split(' <')[0]!.split(', ')),
  );
}

/** `-n1` → `-n`, `1` for a short option that takes a value; everything from `--` on is left as it is. */
export function splitAttachedValues(args: readonly string[], help: CommandHelp): string[] {
  const valued = optionsWithValue(help);
  const out: string[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg === '--') return [...out, ...args.slice(i)];
    const short = arg.slice(0, 2);
    if (/^-[^-]./.test(arg) && valued.has(short) && arg[2] !== '=') out.push(short, arg.slice(2));
    else out.push(arg);
  }
  return out;
}

/**
 * The one-line error for a usage error of a known command, or null to keep clipanion's: the first argument
 * missing, or the unknown option with the nearest one the command knows.
 */
export function explainUsageError(
  message: string,
  args: readonly string[],
  help: CommandHelp,
): string | null {
  if (message.startsWith('Not enough positional arguments')) {
    const required = topLevelParts(help.operands).filter((part) => part.startsWith('<'));
    const given = positionalCount(args.slice(help.name.split(' ').length), optionsWithValue(help));
    const missing = required[Math.min(given, required.length - 1)];
    return missing === undefined ? null : `missing ${missing.replace(/(\[.*|\.\.\.)$/, '')}`;
  }
  const unknown = /^(?:Unsupported|Invalid) option name \("?(-[^")]*)"?\)/.exec(message)?.[1]?.split('=')[0];
  if (unknown !== undefined) {
    const names = help.options.flatMap((o) => o.flags.split(' <')[0]!.split(', '));
    return `unknown option '${unknown}'${didYouMean(unknown, names)}`;
  }
  return null;
}

/** `[--] <command> [<arg>...]` → `[--]`, `<command>`, `[<arg>...]`: spaces inside brackets do not split. */
export function topLevelParts(operands: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let part = '';
  for (const char of operands) {
    if (char === ' ' && depth === 0) {
      if (part !== '') parts.push(part);
      part = '';
      continue;
    }
    if (char === '[') depth++;
    if (char === ']') depth--;
    part += char;
  }
  return part === '' ? parts : [...parts, part];
}

/** How many positional arguments `args` holds, the values of options that take one left out. */
export function positionalCount(args: readonly string[], valued: ReadonlySet<string>): number {
  let count = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return count + args.length - i - 1;
    if (!arg.startsWith('-') || arg === '-') count++;
    else if (valued.has(arg)) i++;
  }
  return count;
}
