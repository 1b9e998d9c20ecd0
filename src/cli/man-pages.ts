// Man pages rendered from the command definitions (clipanion's `definitions()`), so --help and man/ never
// drift: scripts/gen-man.mjs writes them and test/cli/man-pages.test.ts fails when a page is missing or stale.

import type { Cli } from 'clipanion';

type Definition = ReturnType<Cli['definitions']>[number];

/** File name → roff text, one page per command plus `env-sync.1`. */
export function renderManPages(cli: Cli, version: string): Map<string, string> {
  const definitions = cli.definitions().filter((d) => d.path !== 'env-sync' && !d.path.includes('-h'));
  const pages = new Map<string, string>();
  for (const definition of definitions)
    pages.set(`${pageName(definition)}.1`, renderCommand(definition, version));
  pages.set('env-sync.1', renderIndex(definitions, version));
  return pages;
}

export function pageName(definition: Definition): string {
  return definition.path.trim().split(/\s+/).join('-');
}

function renderCommand(d: Definition, version: string): string {
  const name = pageName(d);
  let out = header(name, version);
  out += `.SH NAME\n${name} \\- ${roff(clean(d.description ?? ''))}\n`;
  out += `.SH SYNOPSIS\n.nf\n${roff(synopsis(d))}\n.fi\n`;
  if (d.details) out += `.SH DESCRIPTION\n${paragraphs(d.details)}`;
  if (d.options.length > 0) {
    out += '.SH OPTIONS\n';
    for (const option of d.options) {
      out += `.TP\n.B ${roff(option.definition)}\n${roff(clean(option.description ?? ''))}\n`;
    }
  }
  if (d.examples && d.examples.length > 0) {
    out += '.SH EXAMPLES\n';
    for (const [label, command] of d.examples)
      out += `${roff(clean(label))}\n.PP\n.RS 4\n.nf\n${roff(command)}\n.fi\n.RE\n.PP\n`;
  }
  out += `.SH SEE ALSO\n.BR env-sync (1)\n`;
  return out;
}

/** `env-sync cat-file [-t] [-s] <rev>`: the command, its options, then its positional arguments. */
function synopsis(d: Definition): string {
  const positional = d.usage.trim().slice(d.path.length).trim();
  const options = d.options.map((o) => (o.required ? o.definition : `[${o.definition}]`));
  return [d.path, ...options, positional].filter((part) => part !== '').join(' ');
}

function renderIndex(definitions: Definition[], version: string): string {
  let out = header('env-sync', version);
  out += '.SH NAME\nenv-sync \\- keep .env secrets in sync between machines, peer to peer\n';
  out += '.SH SYNOPSIS\n.nf\nenv-sync [\\-C <dir>] [\\-\\-debug] <command> [<args>]\n.fi\n';
  out +=
    '.SH DESCRIPTION\nA git-style content-addressed store of secrets, synced between peers in one of three security ';
  out += 'modes chosen at init: secure-peer, trusted-owner-ssh or dev-plaintext-http.\n';
  out +=
    '.SH GLOBAL OPTIONS\n.TP\n.B \\-C <dir>\nRun as if started in <dir>.\n.TP\n.B \\-\\-debug\nPrint stack traces of errors.\n';
  const byCategory = new Map<string, Definition[]>();
  for (const d of definitions) {
    const category = clean(d.category ?? 'Other');
    byCategory.set(category, [...(byCategory.get(category) ?? []), d]);
  }
  for (const [category, list] of byCategory) {
    out += `.SH ${roff(category.toUpperCase())} COMMANDS\n`;
    for (const d of list) out += `.TP\n.BR ${pageName(d)} (1)\n${roff(clean(d.description ?? ''))}\n`;
  }
  return out;
}

function header(name: string, version: string): string {
  return `.\\" Generated from the command definitions by scripts/gen-man.mjs; do not edit.\n.TH ${name.toUpperCase()} 1 "" "env-sync ${version}" "env-sync manual"\n`;
}

function paragraphs(text: string): string {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => `.PP\n${roff(clean(p))}\n`)
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
