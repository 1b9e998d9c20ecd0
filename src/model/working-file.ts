// The working file: the `.env` a checkout writes and `status`/`diff`/`import` compare with an environment. Its
// path is the config key `core.worktree` (relative to the directory holding `.env-sync/`), `.env` by default.
// Where it came from (environment, commit, hash of the bytes written) is kept in `.env-sync/CHECKOUT` (0600).
// docs/environments.md#the-working-file

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { encodeDotenvValue, parseDotenv, rewriteDotenv, serializeDotenv } from '../dotenv/index.ts';
import { EnvSyncError, isEnvSyncError } from '../errors.ts';
import { FILE_MODE, readFileOrNull, writeFileAtomic } from '../store/fs-atomic.ts';
import { isObjectId, type ObjectId } from '../store/object-id.ts';
import { BRANCH_PREFIX, isValidRefName } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import type { EnvironmentState, Session } from './environment.ts';
import type { Entries } from './snapshot-codec.ts';

export const WORKING_FILE_KEY = 'core.worktree';
export const DEFAULT_WORKING_FILE = '.env';
const CHECKOUT_FILE = 'CHECKOUT';

export interface WorkingFile {
  /** As configured, for messages: `.env`. */
  readonly name: string;
  readonly path: string;
}

export function workingFile(repo: Repository): WorkingFile {
  const name = repo.config.get(WORKING_FILE_KEY) ?? DEFAULT_WORKING_FILE;
  return { name, path: path.resolve(repo.workTree, name) };
}

/** The file's bytes, or null when it does not exist. */
export function readWorkingFileBytes(file: WorkingFile): Promise<Buffer | null> {
  return readFileOrNull(file.path);
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

/**
 * Writes `entries` to the file atomically with mode 0600, keeping the layout of the file there (comments,
 * order, `export `) when it parses; refuses naming the first key `.env` cannot hold. Returns the bytes' hash.
 */
export async function writeWorkingFile(file: WorkingFile, entries: Entries): Promise<string> {
  for (const [key, value] of entries) {
    if (encodeDotenvValue(value) === undefined) {
      throw new EnvSyncError(
        'E_DOTENV_UNREPRESENTABLE',
        `the value of ${key} cannot be written in ${file.name} (.env format, see docs/dotenv-format.md); ` +
          "use 'env-sync run' or 'env-sync export --format json' instead",
      );
    }
  }
  const previous = await readWorkingFileBytes(file);
  const text = previous === null ? serializeDotenv(entries) : rewriteOrReplace(previous, entries);
  await writeFileAtomic(file.path, text, FILE_MODE);
  // An existing file keeps its mode through rename of a fresh file, but be explicit: secrets are 0600.
  await fs.chmod(file.path, FILE_MODE);
  return contentHash(Buffer.from(text));
}

/** A file that no longer parses has no layout to keep: it is written afresh (callers refuse to lose edits). */
function rewriteOrReplace(previous: Buffer, entries: Entries): string {
  try {
    return rewriteDotenv(previous, entries);
  } catch (error) {
    if (isEnvSyncError(error) && error.code !== 'E_DOTENV_UNREPRESENTABLE') return serializeDotenv(entries);
    throw error;
  }
}

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface CheckoutRecord {
  /** The environment the file was written from. */
  readonly env: string;
  /** Its head then; null when it had no commit yet. */
  readonly commit: ObjectId | null;
  /** SHA-256 of the bytes written, so an untouched file is known without decrypting anything. */
  readonly written: string;
}

function checkoutPath(repo: Repository): string {
  return path.join(repo.dir, CHECKOUT_FILE);
}

/** What the working file was last written from; null before the first checkout. */
export async function readCheckoutRecord(repo: Repository): Promise<CheckoutRecord | null> {
  const bytes = await readFileOrNull(checkoutPath(repo));
  if (bytes === null) return null;
  let record: Partial<Record<keyof CheckoutRecord, unknown>>;
  try {
    record = JSON.parse(bytes.toString('utf8'));
  } catch {
    record = {};
  }
  const { env, commit, written } = record;
  if (
    typeof env !== 'string' ||
    !isValidRefName(`${BRANCH_PREFIX}${env}`) ||
    !(commit === null || (typeof commit === 'string' && isObjectId(commit))) ||
    typeof written !== 'string' ||
    !/^[0-9a-f]{64}$/.test(written)
  ) {
    throw new EnvSyncError(
      'E_CONFIG',
      `${checkoutPath(repo)} is malformed; 'env-sync checkout --force' writes it again`,
    );
  }
  return { env, commit, written };
}

async function saveCheckoutRecord(repo: Repository, record: CheckoutRecord): Promise<void> {
  await writeFileAtomic(checkoutPath(repo), `${JSON.stringify(record)}\n`, FILE_MODE);
}

/**
 * Writes the values of `state` to the working file, remembers where they came from and makes the
 * environment the current one (HEAD).
 */
export async function checkOutEnvironment(session: Session, state: EnvironmentState): Promise<WorkingFile> {
  const file = workingFile(session.repo);
  const written = await writeWorkingFile(file, state.entries);
  await saveCheckoutRecord(session.repo, { env: state.env, commit: state.head, written });
  await session.repo.refs.setHead(state.ref);
  return file;
}
