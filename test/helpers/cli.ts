// Runs the built CLI (bin/env-sync.js) as a real process, as a user would, with its own ENV_SYNC_HOME.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built CLI; a benchmark may point it at a private copy (`ENV_SYNC_TEST_BIN`) that a rebuild cannot touch. */
export const BIN = process.env.ENV_SYNC_TEST_BIN ?? path.join(ROOT, 'bin/env-sync.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
}

export interface CliOptions {
  readonly cwd: string;
  /** Identity home for this peer; defaults to `<cwd>/../.home-<basename>` so peers never share keys. */
  readonly home?: string;
  readonly input?: string | Buffer;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/**
 * Runs the CLI without tap's coverage hooks: tap's processinfo injects them into every child through
 * NODE_OPTIONS (even with an explicit env), which makes each run several times slower and measures the bundle,
 * not src/. `env -u NODE_OPTIONS` drops them; src/ is covered by the in-process tests.
 */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...homeVariables(options), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A command that exits before reading its input closes the pipe: that is not the test's failure.
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');
  return finished(child, options.timeoutMs);
}

/** HOME and ENV_SYNC_HOME: the given home, or `<cwd>/../.home-<basename>`, so peers never share keys. */
function homeVariables(options: CliOptions): { HOME: string; ENV_SYNC_HOME: string } {
  const home = options.home ?? path.join(path.dirname(options.cwd), `.home-${path.basename(options.cwd)}`);
  return { HOME: home, ENV_SYNC_HOME: home };
}

/** What `child` printed and how it ended; killed after `timeoutMs`. */
function finished(child: ChildProcessWithoutNullStreams, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code,
        signal,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
      });
    });
  });
}

/** A fresh directory under the OS temp dir (tap's t.testdir() is preferred inside tests). */
export function freshDir(prefix = 'env-sync-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/**
 * Runs the CLI on a terminal (a pseudo-terminal made by util-linux `script`), typing `input` into it: what a
 * person at a prompt sees. The terminal echoes the input and turns `\n` into `\r\n` in the output.
 */
export function runInTerminal(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = ['env', '-u', 'NODE_OPTIONS', process.execPath, BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...homeVariables(options), TERM: 'dumb', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Typed once the prompt is up: a terminal discards what arrives before the program reads.
  setTimeout(() => child.stdin.end(options.input ?? ''), 1500);
  return finished(child, options.timeoutMs);
}
