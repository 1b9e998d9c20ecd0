// Keeps secrets out of git: when a repository is created inside a git work tree, `.env-sync/` and `.env`
// are added to the directory's .gitignore, once each.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readFileOrNull, writeFileAtomic } from '../store/fs-atomic.ts';

export const IGNORED_PATHS = ['.env-sync/', '.env'];

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

/** Appends the missing entries to `<dir>/.gitignore`; returns the ones added. */
export async function ignoreSecretsInGit(dir: string): Promise<string[]> {
  const file = path.join(dir, '.gitignore');
  const existing = (await readFileOrNull(file))?.toString('utf8') ?? '';
  const present = new Set(existing.split(/\r?\n/).map((line) => line.trim().replace(/^\//, '')));
  const missing = IGNORED_PATHS.filter(
    (entry) => !present.has(entry) && !present.has(entry.replace(/\/$/, '')),
  );
  if (missing.length === 0) return [];
  const prefix = existing === '' || existing.endsWith('\n') ? existing : `${existing}\n`;
  await writeFileAtomic(file, `${prefix}${missing.join('\n')}\n`, 0o644);
  return missing;
}
