// How `run` hands its command to the shell that started it. Installed as the `env-sync` command,
// bin/env-sync.js is read first by /bin/sh (see the file's first lines): for `run`, the shell asks Node for
// an exec plan on descriptor 3 and then `exec`s it, so the command replaces env-sync instead of being spawned
// by it. Signals then reach the command directly and its exit status is its own, as with direnv's `exec` or
// chamber's, and no second process is forked from Node (a fork of a 40 MB Node costs ≈ 15 ms here: see
// docs/performance.md). Node 20 has no execve of its own (process.execve came in Node 22.15).

import { closeSync, writeSync } from 'node:fs';
import { SHELL_NAME, shellQuote } from '../../dotenv/index.ts';

/** Set by bin/env-sync.js's shell lines, for Node only: the descriptor the plan goes to. */
export const EXEC_PLAN_VARIABLE = 'ENV_SYNC_EXEC_PLAN_FD';
const EXEC_PLAN_FD = 3;

/**
 * Names some shells hold read-only (bash's, also when it is /bin/sh): an `export` of one would end the shell
 * before the command runs, so such an environment is run by Node instead.
 */
const READ_ONLY_IN_SHELLS = new Set(['BASHOPTS', 'BASH_VERSINFO', 'EUID', 'PPID', 'SHELLOPTS', 'UID']);

/** The descriptor to write an exec plan to, when the shell lines of bin/env-sync.js asked for one. */
export function execPlanDescriptor(env: NodeJS.ProcessEnv): number | undefined {
  return env[EXEC_PLAN_VARIABLE] === String(EXEC_PLAN_FD) ? EXEC_PLAN_FD : undefined;
}

/**
 * Shell text that exports `entries` and replaces the shell with `argv`, or undefined when a POSIX shell
 * cannot do exactly what Node's spawn would: a key that is not a shell variable name (dotenv allows `.` and
 * `-`) or that a shell holds read-only, a NUL byte (refused by both), or a command name a shell's `exec` would
 * read as an option.
 */
export function shellExecPlan(
  entries: ReadonlyMap<string, string>,
  argv: readonly string[],
): string | undefined {
  const [file] = argv;
  if (file === undefined || file.startsWith('-')) return undefined;
  let plan = '';
  for (const [key, value] of entries) {
    if (!SHELL_NAME.test(key) || READ_ONLY_IN_SHELLS.has(key) || value.includes('\0')) return undefined;
    plan += `export ${key}=${shellQuote(value)}\n`;
  }
  if (argv.some((arg) => arg.includes('\0'))) return undefined;
  // The same message and status as when Node runs the command (a shell's own would name the script's line).
  const notFound = shellQuote(`env-sync: cannot run '${file}': command not found`);
  plan += `command -v ${shellQuote(file)} >/dev/null || { printf '%s\\n' ${notFound} >&2; exit 127; }\n`;
  return `${plan}exec ${argv.map(shellQuote).join(' ')}\n`;
}

/**
 * Sends `plan` to the shell and closes the descriptor; with no plan, only closes it, so a command Node then
 * runs itself does not inherit the shell's capture pipe (the shell would wait for it to close).
 */
export function answerExecPlan(fd: number, plan: string | undefined): void {
  try {
    if (plan !== undefined) {
      const bytes = Buffer.from(plan);
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    }
  } finally {
    closeSync(fd);
  }
}
