// Repository verification: the mode still bound to the group; every object's hash, encoding and type, loose or
// packed (with each pack's checksum and index); every ref and reflog entry points to an object of the right
// type; permissions are private.
// Leftovers of interrupted writes are notes, not errors.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isEnvSyncError } from '../errors.ts';
import { TEMP_NAME } from './fs-atomic.ts';
import { groupBindingProblem } from './group-binding.ts';
import { describeLockFile } from './lockfile.ts';
import { type ObjectId, shortId } from './object-id.ts';
import { referencesOf } from './object-references.ts';
import { decodeObject, type ObjectType, type StoredObject } from './objects.ts';
import { listPackFiles, packedIds, verifyPack } from './pack-verify.ts';
import { MEMBERS_REF } from './ref-names.ts';
import { readReflog } from './reflog.ts';
import type { Repository } from './repository.ts';

export interface FsckProblem {
  readonly severity: 'error' | 'note';
  readonly subject: string;
  readonly message: string;
}

export interface FsckReport {
  readonly ok: boolean;
  readonly objects: number;
  /** Of `objects`, those held in packs (an object may be both loose and packed). */
  readonly packedObjects: number;
  readonly packs: number;
  readonly refs: number;
  readonly problems: FsckProblem[];
}

/** Extra per-object rules a higher layer adds (e.g. "snapshots must be encrypted in secure-peer"). */
export type ObjectRule = (id: ObjectId, object: StoredObject) => string | null;

export async function fsck(repo: Repository, rules: readonly ObjectRule[] = []): Promise<FsckReport> {
  const problems: FsckProblem[] = [];
  const error = (subject: string, message: string) => problems.push({ severity: 'error', subject, message });
  const note = (subject: string, message: string) => problems.push({ severity: 'note', subject, message });
  const types = new Map<ObjectId, ObjectType>();
  const links: { from: string; to: ObjectId; type: ObjectType }[] = [];

  try {
    const binding = await groupBindingProblem(repo);
    if (binding !== null) error('.env-sync/config', binding);
  } catch (cause) {
    error('.env-sync/config', isEnvSyncError(cause) ? cause.message : String(cause));
  }
  await checkPermissions(repo.dir, error, note);

  const checkObject = (id: ObjectId, object: StoredObject): void => {
    types.set(id, object.type);
    for (const rule of rules) {
      const message = rule(id, object);
      if (message !== null) error(`object ${shortId(id)}`, message);
    }
    const from = `${object.type} ${shortId(id)}`;
    for (const ref of referencesOf(object)) links.push({ from, to: ref.id, type: ref.type });
  };
  for await (const id of repo.objects.listLoose()) {
    try {
      checkObject(id, await repo.objects.read(id));
    } catch (cause) {
      error(`object ${shortId(id)}`, isEnvSyncError(cause) ? cause.message : String(cause));
    }
  }
  const packDir = repo.objects.packDir;
  const packFiles = listPackFiles(packDir);
  const packed = new Set<ObjectId>();
  for (const name of packFiles.packs) {
    try {
      verifyPack(packDir, name, (id, bytes) => {
        try {
          checkObject(id, decodeObject(bytes, `object ${shortId(id)} in ${name}.pack`));
          packed.add(id);
        } catch (cause) {
          error(`object ${shortId(id)}`, isEnvSyncError(cause) ? cause.message : String(cause));
        }
      });
    } catch (cause) {
      error(`pack ${name.slice(0, 17)}`, isEnvSyncError(cause) ? cause.message : String(cause));
    }
  }
  for (const name of packFiles.orphanIndexes)
    error(
      relative(repo.dir, path.join(packDir, `${name}.idx`)),
      'index without its pack: its objects are missing',
    );
  const missing = new Set<ObjectId>();
  const check = (from: string, to: ObjectId, wanted: ObjectType): void => {
    const actual = types.get(to);
    if (actual === undefined) {
      missing.add(to);
      error(from, `points to missing or corrupt object ${shortId(to)}`);
    } else if (actual !== wanted) error(from, `points to ${shortId(to)}, a ${actual}, expected a ${wanted}`);
  };
  for (const link of links) check(link.from, link.to, link.type);

  let refs: { name: string; id: ObjectId }[] = [];
  try {
    await repo.refs.headTarget();
    refs = await repo.refs.list();
  } catch (cause) {
    error('refs', isEnvSyncError(cause) ? cause.message : String(cause));
  }
  for (const ref of refs) {
    check(`ref ${ref.name}`, ref.id, expectedType(ref.name));
    try {
      for (const [index, entry] of (await readReflog(path.join(repo.dir, 'logs'), ref.name)).entries()) {
        if (entry.new !== null) check(`reflog ${ref.name}@{${index}}`, entry.new, expectedType(ref.name));
      }
    } catch (cause) {
      error(`reflog ${ref.name}`, isEnvSyncError(cause) ? cause.message : String(cause));
    }
  }
  for (const name of packFiles.unindexed)
    checkUnindexedPack(
      packDir,
      name,
      missing,
      relative(repo.dir, path.join(packDir, `${name}.pack`)),
      error,
      note,
    );
  return {
    ok: problems.every((p) => p.severity !== 'error'),
    objects: types.size,
    packedObjects: packed.size,
    packs: packFiles.packs.length,
    refs: refs.length,
    problems,
  };
}

function expectedType(ref: string): ObjectType {
  return ref === MEMBERS_REF ? 'event' : 'commit';
}

/**
 * A pack without its index is a leftover of an interrupted fetch (renamed into place before its index, refs
 * moved after both), unless it holds objects that refs need: then its index was lost, and index-pack rebuilds it.
 */
function checkUnindexedPack(
  packDir: string,
  name: string,
  missing: ReadonlySet<ObjectId>,
  subject: string,
  error: (subject: string, message: string) => void,
  note: (subject: string, message: string) => void,
): void {
  let needed: boolean;
  try {
    needed = packedIds(packDir, name).some((id) => missing.has(id));
  } catch (cause) {
    error(subject, `pack without an index, ${isEnvSyncError(cause) ? cause.message : String(cause)}`);
    return;
  }
  if (!needed) note(subject, 'pack without an index: leftover of an interrupted fetch (safe to delete)');
  else
    error(
      subject,
      `pack without an index holds objects that refs need; do not delete it: rebuild its index with 'env-sync index-pack ${subject}'`,
    );
}

/** Directories must be 0700 and files 0600: the repository holds secrets. */
async function checkPermissions(
  root: string,
  error: (subject: string, message: string) => void,
  note: (subject: string, message: string) => void,
): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    const stat = await fs.stat(dir);
    if ((stat.mode & 0o077) !== 0)
      error(relative(root, dir), `directory mode ${octal(stat.mode)} is too open; want 0700`);
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(full);
        continue;
      }
      if (TEMP_NAME.test(entry.name))
        note(relative(root, full), 'leftover of an interrupted write (safe to delete)');
      else if (entry.name.endsWith('.lock')) note(relative(root, full), await describeLockFile(full));
      const fileStat = await fs.stat(full);
      if ((fileStat.mode & 0o077) !== 0)
        error(relative(root, full), `file mode ${octal(fileStat.mode)} is too open; want 0600`);
    }
  };
  await walk(root);
}

function relative(root: string, full: string): string {
  return path.join('.env-sync', path.relative(root, full)) || '.env-sync';
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}
