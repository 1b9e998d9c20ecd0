// What a shell completes after `env-sync`: command names, options, then option values and arguments by
// what they name (environments, keys, remotes, peers). Names only, never a value. The shell scripts of
// `env-sync completion` call `env-sync __complete <word>…` and offer files when it prints nothing.

import type { CommandHelp } from '../command-help.ts';
import { optionsWithValue, positionalCount, topLevelParts } from '../command-line.ts';
import { GLOBAL_OPTIONS } from '../global-options.ts';

/** The names a repository holds, read only when a completion needs them. */
export interface CompletionNames {
  environments(): Promise<string[]>;
  /** `origin/main`, … */
  remoteBranches(): Promise<string[]>;
  remotes(): Promise<string[]>;
  /** The key names of `env` (the current environment when null). */
  keys(env: string | null): Promise<string[]>;
  /** Names and ids of the group's peers (secure-peer only); `pending` for those awaiting approval alone. */
  peers(pending: boolean): Promise<string[]>;
}

const GLOBAL_FLAGS = GLOBAL_OPTIONS.flatMap(([flags]) => flags.split(' <')[0]!.split(', '));
const FIXED_VALUES: Readonly<Record<string, readonly string[]>> = {
  '--format': ['dotenv', 'json', 'shell'],
  '--mode': ['secure-peer', 'trusted-owner-ssh', 'dev-plaintext-http'],
  '--role': ['member', 'admin'],
};

/**
 * The candidates for the last of `words` (the command line after `env-sync`, the word being typed last,
 * maybe empty), those that start with it.
 */
export async function complete(
  words: readonly string[],
  helps: readonly CommandHelp[],
  names: CompletionNames,
): Promise<string[]> {
  const typed = words.at(-1) ?? '';
  const before = withoutGlobalOptions(words.slice(0, -1));
  if (before.includes('--')) return [];
  const candidates = await candidatesAfter(before, typed, helps, names);
  return [...new Set(candidates)].filter((candidate) => candidate.startsWith(typed)).sort();
}

async function candidatesAfter(
  before: readonly string[],
  typed: string,
  helps: readonly CommandHelp[],
  names: CompletionNames,
): Promise<string[]> {
  const firstOption = before.findIndex((word) => word.startsWith('-'));
  const leading = firstOption < 0 ? before : before.slice(0, firstOption);
  const help = helps
    .filter((h) => h.name.split(' ').every((word, i) => leading[i] === word))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (help === undefined) {
    if (typed.startsWith('-')) return GLOBAL_FLAGS;
    return helps
      .map((h) => h.name.split(' '))
      .filter((path) => path.length > before.length && before.every((word, i) => path[i] === word))
      .map((path) => path[before.length]!);
  }
  const args = before.slice(help.name.split(' ').length);
  const valued = optionsWithValue(help);
  const previous = args.at(-1);
  if (previous !== undefined && valued.has(previous)) return optionValues(help, previous, names);
  if (typed.startsWith('-')) {
    return [...help.options.flatMap((o) => o.flags.split(' <')[0]!.split(', ')), ...GLOBAL_FLAGS];
  }
  const operands = topLevelParts(help.operands).filter((part) => part !== '[--]');
  const at = positionalCount(args, valued);
  const operand = operands[Math.min(at, operands.length - 1)] ?? '';
  return operandValues(help, operand, at, envOption(args), helps, names);
}

/** The value of `--env` on the command line, for the keys of that environment. */
function envOption(args: readonly string[]): string | null {
  const at = args.lastIndexOf('--env');
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : null;
}

async function optionValues(help: CommandHelp, option: string, names: CompletionNames): Promise<string[]> {
  const fixed = FIXED_VALUES[option];
  if (fixed !== undefined) return [...fixed];
  const flags = help.options.find((o) => o.flags.split(' <')[0]!.split(', ').includes(option))?.flags ?? '';
  const value = /<([^>]*)>$/.exec(flags)?.[1];
  if (value === 'name' || value === 'env') return names.environments();
  if (value === 'rev') return [...(await names.environments()), ...(await names.remoteBranches())];
  if (value === 'peer') return names.peers(false);
  return [];
}

/** Candidates for an argument by what it names: `[<key>]` → keys, `<remote>` → remotes… */
async function operandValues(
  help: CommandHelp,
  operand: string,
  position: number,
  env: string | null,
  helps: readonly CommandHelp[],
  names: CompletionNames,
): Promise<string[]> {
  const named = /<([^>]*)>/.exec(operand)?.[1] ?? '';
  if (help.name === 'help') return [...new Set(helps.map((h) => h.name.split(' ')[position] ?? ''))];
  if (named === 'key') return names.keys(env);
  if (named === 'rev') return [...(await names.environments()), ...(await names.remoteBranches())];
  if (named === 'remote' && operand.includes('<env>')) {
    return position === 0
      ? help.name === 'merge'
        ? names.remoteBranches()
        : names.remotes()
      : names.environments();
  }
  if (named === 'remote') return names.remotes();
  if (named === 'env') return names.environments();
  if (named === 'name' && help.name === 'remote remove') return names.remotes();
  if (named === 'name' && help.name === 'env delete') return names.environments();
  if (named === 'peer') return names.peers(false);
  if (named === 'request') return names.peers(true);
  return [];
}

/** The directory of `-C <path>` among `words`, if any: the names are those of the repository there. */
export function directoryOption(words: readonly string[]): string | null {
  const at = words.slice(0, -1).indexOf('-C');
  return at >= 0 && at + 1 < words.length - 1 ? words[at + 1]! : null;
}

/** `-C <path>`, `--debug` and `--no-color` may come anywhere before the command's own words. */
function withoutGlobalOptions(words: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '-C') i++;
    else if (words[i] !== '--debug' && words[i] !== '--no-color') out.push(words[i]!);
  }
  return out;
}
