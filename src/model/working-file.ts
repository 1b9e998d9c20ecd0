// The working file: the `.env` a checkout writes and `status`/`diff` compare with a branch. Its path is the
// config key `core.worktree` (relative to the directory holding `.env-sync/`), `.env` by default; which
// environment and commit it was last checked out from is kept in `checkout.env` and `checkout.commit`.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { encodeDotenvValue, parseDotenv, serializeDotenv } from '../dotenv/index.ts';
import { EnvSyncError, isEnvSyncError } from '../errors.ts';
import { FILE_MODE, readFileOrNull, writeFileAtomic } from '../store/fs-atomic.ts';
import { isObjectId, type ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { diffEntries, isEmptyDiff } from './diff.ts';
import { type EnvironmentState, readCommitEntries, readEnvironment, type Session } from './environment.ts';
import type { Entries } from './snapshot-codec.ts';

export const WORKING_FILE_KEY = 'core.worktree';
export const DEFAULT_WORKING_FILE = '.env';
const CHECKOUT_ENV_KEY = 'checkout.env';
const CHECKOUT_COMMIT_KEY = 'checkout.commit';

export interface WorkingFile {
  /** As configured, for messages: `.env`. */
  readonly name: string;
  readonly path: string;
}

export function workingFile(repo: Repository): WorkingFile {
  const name = repo.config.get(WORKING_FILE_KEY) ?? DEFAULT_WORKING_FILE;
  return { name, path: path.resolve(repo.workTree, name) };
}

/** The file's entries, or null when it does not exist. A parse error names the file and the line. */
export async function readWorkingFile(file: WorkingFile): Promise<Map<string, string> | null> {
  const bytes = await readFileOrNull(file.path);
  if (bytes === null) return null;
  return parseNamed(bytes, file.name);
}

/** Parses `.env` bytes, prefixing errors with the file's name (parser messages never hold values). */
export function parseNamed(bytes: Uint8Array, name: string): Map<string, string> {
  try {
    return parseDotenv(bytes);
  } catch (error) {
    if (isEnvSyncError(error))
      throw new EnvSyncError(error.code, `${name}: ${error.message}; nothing changed`);
    throw error;
  }
}

/** Writes the file atomically with mode 0600, or refuses naming the first key `.env` cannot hold. */
export async function writeWorkingFile(file: WorkingFile, entries: Entries): Promise<void> {
  for (const [key, value] of entries) {
    if (encodeDotenvValue(value) === undefined) {
      throw new EnvSyncError(
        'E_DOTENV_UNREPRESENTABLE',
        `the value of ${key} cannot be written in ${file.name} (.env format, see docs/dotenv-format.md); ` +
          "use 'env-sync run' or 'env-sync export --format json' instead",
      );
    }
  }
  await writeFileAtomic(file.path, serializeDotenv(entries), FILE_MODE);
  // An existing file keeps its mode through rename of a fresh file, but be explicit: secrets are 0600.
  await fs.chmod(file.path, FILE_MODE);
}

export interface CheckoutRecord {
  readonly env: string;
  readonly commit: ObjectId | null;
}

/** What the working file was last checked out from; null before the first checkout. */
export function checkoutRecord(repo: Repository): CheckoutRecord | null {
  const env = repo.config.get(CHECKOUT_ENV_KEY);
  if (env === undefined) return null;
  const commit = repo.config.get(CHECKOUT_COMMIT_KEY);
  return { env, commit: commit !== undefined && isObjectId(commit) ? commit : null };
}

export async function saveCheckoutRecord(repo: Repository, record: CheckoutRecord): Promise<void> {
  repo.config.set(CHECKOUT_ENV_KEY, record.env);
  if (record.commit === null) repo.config.unset(CHECKOUT_COMMIT_KEY);
  else repo.config.set(CHECKOUT_COMMIT_KEY, record.commit);
  await repo.saveConfig();
}

/** Writes an environment's values to the working file (0600) and remembers what was checked out. */
export async function checkOutEnvironment(session: Session, state: EnvironmentState): Promise<WorkingFile> {
  const file = workingFile(session.repo);
  await writeWorkingFile(file, state.entries);
  await saveCheckoutRecord(session.repo, { env: state.env, commit: state.head });
  return file;
}

/**
 * Whether overwriting the working file with `target` could lose edits: false when the file is missing,
 * already equals `target`, or equals what it was last checked out as (that commit, or its environment's
 * current head). An unparseable file is treated as edited.
 */
export async function hasUncommittedEdits(
  session: Session,
  file: WorkingFile,
  target: Entries,
): Promise<boolean> {
  let current: Map<string, string> | null;
  try {
    current = await readWorkingFile(file);
  } catch (error) {
    if (isEnvSyncError(error)) return true;
    throw error;
  }
  if (current === null || same(current, target)) return false;
  const record = checkoutRecord(session.repo) ?? { env: 'main', commit: null };
  if (record.commit !== null && (await session.repo.objects.has(record.commit))) {
    const commit = await session.repo.objects.readTyped(record.commit, 'commit');
    if (same(current, await readCommitEntries(session, commit))) return false;
  }
  const state = await readEnvironment(session, record.env).catch(() => null);
  return !(state !== null && state.head !== null && same(current, state.entries));
}

function same(a: Entries, b: Entries): boolean {
  return isEmptyDiff(diffEntries(a, b));
}
