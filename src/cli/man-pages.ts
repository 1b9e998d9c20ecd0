// Man pages rendered from the command definitions (clipanion's `definitions()`), so --help and man/ never
// drift: scripts/gen-man.mjs writes them and test/cli/man-pages.test.ts fails when a page is missing or stale.

import type { Cli, CommandClass } from 'clipanion';
import { type CommandHelp, commandHelps } from './command-help.ts';
import { GLOBAL_OPTIONS } from './global-options.ts';
import { textBlocks } from './markdownish.ts';

/** File name → roff text, one page per command plus `env-sync.1`. */
export function renderManPages(
  cli: Cli,
  commands: readonly CommandClass[],
  version: string,
): Map<string, string> {
  const helps = commandHelps(cli, commands).filter((help) => !help.name.startsWith('-'));
  const pages = new Map<string, string>();
  for (const help of helps) pages.set(`${pageName(help)}.1`, renderCommand(help, version));
  pages.set('env-sync.1', renderIndex(cli, helps, version));
  return pages;
}

function pageName(help: CommandHelp): string {
  return `env-sync-${help.name.split(' ').join('-')}`;
}

function renderCommand(help: CommandHelp, version: string): string {
  const name = pageName(help);
  let out = header(name, version);
  out += `.SH NAME\n${name} \\- ${roff(clean(help.description))}\n`;
  out += `.SH SYNOPSIS\n.nf\n${roff(help.synopsis)}\n.fi\n`;
  if (help.details.trim() !== '') out += `.SH DESCRIPTION\n${paragraphs(help.details)}`;
  if (help.options.length > 0) {
    out += '.SH OPTIONS\n';
    for (const option of help.options)
      out += `.TP\n.B ${roff(option.flags)}\n${roff(clean(option.description))}\n`;
  }
  if (help.examples.length > 0) {
    out += '.SH EXAMPLES\n';
    for (const [label, command] of help.examples)
      out += `${roff(clean(label))}\n.PP\n.RS 4\n.nf\n${roff(command)}\n.fi\n.RE\n.PP\n`;
  }
  out += `.SH SEE ALSO\n.BR env-sync (1)\n`;
  return out;
}

function renderIndex(cli: Cli, helps: readonly CommandHelp[], version: string): string {
  let out = header('env-sync', version);
  out += '.SH NAME\nenv-sync \\- keep .env secrets in sync between machines, peer to peer\n';
  out +=
    '.SH SYNOPSIS\n.nf\nenv-sync [\\-C <path>] [\\-\\-debug] [\\-\\-no\\-color] <command> [<args>]\n.fi\n';
  out +=
    '.SH DESCRIPTION\nA git-style content-addressed store of secrets, synced between peers in one of three security ';
  out += 'modes chosen at init: secure-peer, trusted-owner-ssh or dev-plaintext-http.\n';
  out += '.SH GLOBAL OPTIONS\n';
  for (const [flags, description] of GLOBAL_OPTIONS) out += `.TP\n.B ${roff(flags)}\n${roff(description)}\n`;
  const categories = new Map(cli.definitions().map((d) => [d.path.replace(/^env-sync ?/, ''), d.category]));
  const byCategory = new Map<string, CommandHelp[]>();
  for (const help of helps) {
    const category = clean(categories.get(help.name) ?? 'Other');
    byCategory.set(category, [...(byCategory.get(category) ?? []), help]);
  }
  for (const [category, list] of byCategory) {
    out += `.SH ${roff(category.toUpperCase())} COMMANDS\n`;
    for (const help of list) out += `.TP\n.BR ${pageName(help)} (1)\n${roff(clean(help.description))}\n`;
  }
  return out;
}

function header(name: string, version: string): string {
  return `.\\" Generated from the command definitions by scripts/gen-man.mjs; do not edit.\n.TH ${name.toUpperCase()} 1 "" "env-sync ${version}" "env-sync manual"\n`;
}

function paragraphs(details: string): string {
  return textBlocks(details)
    .map((block) => `${block.kind === 'item' ? '.IP \\(bu 2' : '.PP'}\n${roff(clean(block.text))}\n`)
    .join('');
}

/** One line of prose: markdown backticks dropped, whitespace folded. */
function clean(text: string): string {
  return text.replace(/`/g, '').replace(/\s+/g, ' ').trim();
}

/** Escapes text for roff: backslashes, leading control characters, and hyphens (minus signs). */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}
