// `env-sync run` by execve, where Node has it (process.execve: Node 22.15+ and 23.11+, not on Windows): the
// command takes over this process, as `exec` does in a shell. Before Node 26 a failed execve aborts the
// process, so the command is handed over only when the kernel will take it (see execTarget); anything else is
// spawned (run-spawn.ts), which reports why it could not run.

import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';

type Execve = (file: string, args: string[], env: Record<string, string>) => never;

/** The PATH execvp searches when the environment has none. */
const DEFAULT_PATH = '/usr/bin:/bin';
/**
 * The kernel's limits on arguments and environment, with room to spare: 128 KiB a string on Linux, and a total
 * well below the smallest ARG_MAX (1 MiB, macOS).
 */
const MAX_STRING_BYTES = 128 * 1024 - 1;
const MAX_TOTAL_BYTES = 512 * 1024;
/** The first bytes of the binaries the kernel runs: ELF, and Mach-O (32 and 64 bits, both byte orders, fat). */
const BINARY_MAGIC = ['7f454c46', 'feedface', 'feedfacf', 'cefaedfe', 'cffaedfe', 'cafebabe'];

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `file` as execvp finds it: a name without a slash in each directory of `PATH` in turn (empty: here). */
function findExecutable(file: string, PATH = DEFAULT_PATH): string | null {
  if (file.includes('/')) return isExecutableFile(file) ? file : null;
  for (const dir of PATH.split(':')) {
    const candidate = `${dir === '' ? '.' : dir}/${file}`;
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** A binary, or a script whose `#!` interpreter is an executable file: what execve runs without ENOEXEC. */
function kernelRuns(file: string): boolean {
  const head = Buffer.alloc(256);
  const fd = openSync(file, 'r');
  const length = (() => {
    try {
      return readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  })();
  const text = head.subarray(0, length).toString('latin1');
  if (!text.startsWith('#!')) return BINARY_MAGIC.includes(head.subarray(0, 4).toString('hex'));
  const interpreter = text.slice(2).split('\n')[0]!.trim().split(/[ \t]/)[0]!;
  return interpreter !== '' && isExecutableFile(interpreter);
}

function withinKernelLimits(argv: readonly string[], env: ReadonlyMap<string, string>): boolean {
  const strings = [...argv, ...Array.from(env, ([name, value]) => `${name}=${value}`)];
  const sizes = strings.map((text) => Buffer.byteLength(text) + 1);
  const total = sizes.reduce((sum, size) => sum + size + 8, 0);
  return total <= MAX_TOTAL_BYTES && sizes.every((size) => size <= MAX_STRING_BYTES);
}

/**
 * The path to execve for `file` with `args` and `env`, or null when execve could fail: `file` not found as an
 * executable file in `env`'s PATH, not a binary nor a script with an existing interpreter (a file without
 * `#!` is run by sh, as execvp does, through spawn), or arguments and environment beyond the kernel's limits.
 */
export function execTarget(
  file: string,
  args: readonly string[],
  env: ReadonlyMap<string, string>,
): string | null {
  const found = findExecutable(file, env.get('PATH'));
  if (found === null || !withinKernelLimits([file, ...args], env)) return null;
  try {
    return kernelRuns(found) ? found : null;
  } catch {
    return null;
  }
}

/** Replaces this process with `file`; returns only when it could not, and the command is to be spawned. */
export function replaceProcess(
  file: string,
  args: readonly string[],
  env: ReadonlyMap<string, string>,
): void {
  const execve = (process as { execve?: Execve }).execve;
  const target = execve === undefined ? null : execTarget(file, args, env);
  if (execve === undefined || target === null) return;
  // Node ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across execve, while a caught one
  // is reset to its default: catching them gives the command the defaults a shell would.
  for (const signal of ['SIGPIPE', 'SIGXFSZ'] as const) process.on(signal, () => {});
  try {
    execve.call(process, target, [file, ...args], Object.fromEntries(env));
  } catch {
    // Node 26 and later throw when execve fails, leaving the process as it was: spawned instead.
  }
}
