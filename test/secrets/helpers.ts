// A repository in a tap test dir plus a `cli()` that runs the built env-sync in it with its own identity home.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { type CliOptions, type CliResult, runCli } from '../helpers/cli.ts';

export interface TestRepo {
  readonly cwd: string;
  readonly home: string;
  cli(args: readonly string[], options?: Partial<CliOptions>): Promise<CliResult>;
  /** Runs and asserts exit 0, showing stderr when it is not. */
  ok(t: Test, args: readonly string[], options?: Partial<CliOptions>): Promise<CliResult>;
}

export type Mode = 'trusted-owner-ssh' | 'secure-peer' | 'dev-plaintext-http';

/**
 * One identity home per test file: creating an identity costs a few hundred milliseconds, and these tests
 * are about one peer's secrets, not about peers telling each other apart.
 */
let sharedHome: string | undefined;

export async function makeRepo(t: Test, mode: Mode = 'trusted-owner-ssh'): Promise<TestRepo> {
  // Not t.testdir(): its fixed name collides when two tap runs share a checkout, as they do here.
  const root = mkdtempSync(path.join(tmpdir(), 'env-sync-secrets-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const cwd = path.join(root, 'work');
  mkdirSync(cwd);
  if (sharedHome === undefined) {
    sharedHome = mkdtempSync(path.join(tmpdir(), 'env-sync-secrets-home-'));
    process.once('exit', () => rmSync(sharedHome!, { recursive: true, force: true }));
  }
  const home = sharedHome;
  const repo: TestRepo = {
    cwd,
    home,
    cli: (args, options = {}) => runCliUntraced(args, { cwd, home, ...options }),
    async ok(t, args, options) {
      const result = await repo.cli(args, options);
      t.equal(
        result.code,
        0,
        `env-sync ${args.join(' ')} exits 0${result.stderr ? `: ${result.stderr}` : ''}`,
      );
      return result;
    },
  };
  const init = await repo.cli(['init', '--mode', mode]);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  return repo;
}

/** Values that break naive quoting, each of which the store must keep byte for byte. */
export const HOSTILE_VALUES: Readonly<Record<string, string>> = {
  NEWLINES: 'line one\nline two\n\nline four',
  CRLF: 'a\r\nb',
  DOUBLE_QUOTES: 'say "hi"',
  SINGLE_QUOTES: "it's 'quoted'",
  ALL_QUOTES: `it's "all" \`three\` # and a hash`,
  HASH: 'value # not a comment',
  EQUALS: 'a=b==c',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${…} is the point
  DOLLAR: '$HOME ${PATH} $(whoami) `id`',
  EMPTY: '',
  UNICODE: 'héllo wörld ✓ 🔑 日本語',
  BACKSLASH: 'C:\\path\\n\\',
  SPACES: '  padded  ',
  TRAILING_NEWLINE: 'ends with newline\n',
};

/** The CLI runner of test/helpers/cli.ts (already free of tap's coverage hooks). */
export const runCliUntraced = runCli;
