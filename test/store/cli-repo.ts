// Repositories driven through the built CLI (real processes) for test/cli/plumbing*.test.ts and init tests,
// and the assertion every error path shares: one `env-sync: ` line on stderr, and nothing changed on disk.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { initRepository } from '../../src/store/repository.ts';
import { type CliOptions, type CliResult, runCli } from '../helpers/cli.ts';
import { initSecurePeerRepository } from '../helpers/secure-peer-repo.ts';
import { snapshotTree } from './tree-snapshot.ts';

export type Mode = 'secure-peer' | 'trusted-owner-ssh' | 'dev-plaintext-http';

export interface CliRepo {
  readonly cwd: string;
  readonly dir: string;
  run(args: readonly string[], options?: Partial<CliOptions>): Promise<CliResult>;
  /** Runs, asserts exit 0 and an empty stderr, returns stdout. */
  ok(t: Test, args: readonly string[], options?: Partial<CliOptions>): Promise<string>;
}

/**
 * A work tree under `t.testdir()` with a repository in `mode` (secure-peer: founded by the identity in `home`).
 * The identity home is shared by every repo made with the same `home` (creating an identity costs a key
 * generation; tests of one file can share one).
 */
export async function makeCliRepo(
  t: Test,
  home: string,
  mode: Mode = 'dev-plaintext-http',
): Promise<CliRepo> {
  const cwd = path.join(t.testdir(), 'work');
  mkdirSync(cwd);
  // Through the store API: `env-sync init` itself is tested in test/cli/init.test.ts, and every process
  // spawned under tap pays for its coverage hooks.
  if (mode === 'secure-peer') await initSecurePeerRepository(cwd, home);
  else await initRepository(cwd, { mode });
  return cliIn(cwd, home);
}

export function cliIn(cwd: string, home: string): CliRepo {
  const repo: CliRepo = {
    cwd,
    dir: path.join(cwd, '.env-sync'),
    run: (args, options = {}) => runUninstrumented(args, { cwd, home, ...options }),
    async ok(t, args, options) {
      const result = await repo.run(args, options);
      t.equal(
        result.code,
        0,
        `env-sync ${args.join(' ')} exits 0${result.stderr ? `: ${result.stderr}` : ''}`,
      );
      t.equal(result.stderr, '', `env-sync ${args.join(' ')} writes nothing on stderr`);
      return result.stdout;
    },
  };
  return repo;
}

export interface Refusal {
  readonly exitCode?: number;
  readonly message: RegExp;
  readonly input?: string | Buffer;
}

/** Asserts a refusal: the exit code, exactly one `env-sync: ` line on stderr, no stdout, no change on disk. */
export async function expectRefused(
  t: Test,
  repo: CliRepo,
  args: readonly string[],
  refusal: Refusal,
): Promise<CliResult> {
  const before = snapshotTree(repo.cwd);
  const result = await repo.run(args, refusal.input === undefined ? {} : { input: refusal.input });
  const label = `env-sync ${args.join(' ')}`;
  t.equal(result.code, refusal.exitCode ?? 1, `${label}: exit code`);
  t.match(result.stderr, /^env-sync: [^\n]+\n$/, `${label}: exactly one line on stderr`);
  t.match(result.stderr, refusal.message, `${label}: message`);
  t.equal(result.stdout, '', `${label}: nothing on stdout`);
  t.same(snapshotTree(repo.cwd), before, `${label}: the work tree and repository are unchanged`);
  return result;
}

/** The CLI runner of test/helpers/cli.ts (already free of tap's coverage hooks). */
export const runUninstrumented = runCli;
