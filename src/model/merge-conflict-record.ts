// The last merge refused for conflicts, kept in `.env-sync/MERGE_CONFLICT` (0600, key names only) so that
// `status` can name the keys and the command that finishes it. It stops applying as soon as either side moves.

import path from 'node:path';
import { FILE_MODE, readFileOrNull, writeFileAtomic } from '../store/fs-atomic.ts';
import { isObjectId, type ObjectId } from '../store/object-id.ts';
import { branchRef } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { resolveRevision } from '../store/revision.ts';

const CONFLICT_FILE = 'MERGE_CONFLICT';

export interface ConflictRecord {
  readonly env: string;
  /** What was merged, as the user named it (`origin/main`). */
  readonly source: string;
  readonly ours: ObjectId;
  readonly theirs: ObjectId;
  readonly keys: readonly string[];
}

export async function saveConflictRecord(repo: Repository, record: ConflictRecord): Promise<void> {
  await writeFileAtomic(path.join(repo.dir, CONFLICT_FILE), `${JSON.stringify(record)}\n`, FILE_MODE);
}

/** The refused merge into `env`, while neither side has moved since; otherwise null. */
export async function pendingConflict(repo: Repository, env: string): Promise<ConflictRecord | null> {
  const bytes = await readFileOrNull(path.join(repo.dir, CONFLICT_FILE));
  if (bytes === null) return null;
  let record: Partial<ConflictRecord>;
  try {
    record = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null; // advisory only: a damaged record is as good as none
  }
  const { source, ours, theirs, keys } = record;
  if (record.env !== env || typeof source !== 'string' || !Array.isArray(keys)) return null;
  if (typeof ours !== 'string' || !isObjectId(ours) || typeof theirs !== 'string' || !isObjectId(theirs))
    return null;
  if ((await repo.refs.read(branchRef(env))) !== ours) return null;
  const now = await resolveRevision(repo, source).catch(() => null);
  return now === theirs
    ? { env, source, ours, theirs, keys: keys.filter((key) => typeof key === 'string') }
    : null;
}
