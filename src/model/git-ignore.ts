// Keeps secrets out of git: when a repository is created inside a git work tree, `.env-sync/` and every
// `.env*` file but `.env.example` are added to the directory's .gitignore, once each; a file written by
// `export -o` can be checked against git's own rules and added.

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readFileOrNull, writeFileAtomic } from '../store/fs-atomic.ts';

export const IGNORED_PATHS = ['.env-sync/', '.env*', '!.env.example'];

/** The nearest ancestor of `dir` (or `dir` itself) that holds `.git`, or null outside a git work tree. */
export async function findGitWorkTree(dir: string): Promise<string | null> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      await fs.stat(path.join(current, '.git'));
      return current;
    } catch {}
    if (path.dirname(current) === current) return null;
  }
}

/**
 * Whether git ignores `file` (`git check-ignore`); null outside a git work tree or where git cannot be run,
 * so callers warn only when git itself says the file would be tracked.
 */
export async function isIgnoredByGit(file: string): Promise<boolean | null> {
  if ((await findGitWorkTree(path.dirname(path.resolve(file)))) === null) return null;
  return new Promise((resolve) => {
    execFile(
      'git',
      ['check-ignore', '-q', '--', path.basename(file)],
      { cwd: path.dirname(path.resolve(file)) },
      (error) => {
        const code = (error as { code?: unknown } | null)?.code;
        resolve(error === null ? true : code === 1 ? false : null);
      },
    );
  });
}

/** Appends the missing `entries` (default: the secrets) to `<dir>/.gitignore`; returns the ones added. */
export async function ignoreSecretsInGit(
  dir: string,
  entries: readonly string[] = IGNORED_PATHS,
): Promise<string[]> {
  const file = path.join(dir, '.gitignore');
  const existing = (await readFileOrNull(file))?.toString('utf8') ?? '';
  const present = new Set(existing.split(/\r?\n/).map((line) => line.trim().replace(/^\//, '')));
  const missing = entries.filter((entry) => !present.has(entry) && !present.has(entry.replace(/\/$/, '')));
  if (missing.length === 0) return [];
  const prefix = existing === '' || existing.endsWith('\n') ? existing : `${existing}\n`;
  await writeFileAtomic(file, `${prefix}${missing.join('\n')}\n`, 0o644);
  return missing;
}
