// Revision syntax (a subset of gitrevisions): HEAD, short and full ref names, <remote>/<env>, hex ids and
// unique prefixes of at least 4 characters, `<ref>@{N}` (where the ref was N moves ago, from its reflog;
// `@{N}` is HEAD's), followed by any number of `~N`, `^` and `^N` steps.

import { EnvSyncError } from '../errors.ts';
import { isObjectId, type ObjectId, shortId } from './object-id.ts';
import { HEAD, isValidRefName, refCandidates } from './ref-names.ts';
import type { Repository } from './repository.ts';

const MIN_PREFIX = 4;
const STEP = /(~(\d*)|\^(\d*))$/;

export async function resolveRevision(repo: Repository, revision: string): Promise<ObjectId> {
  if (revision.length === 0 || revision.length > 1024 || /[\s\u0000-\u001f]/.test(revision)) {
    throw new EnvSyncError('E_BAD_REVISION', 'bad revision: empty or holds whitespace or control characters');
  }
  const steps: { firstParentHops: number; parentIndex: number }[] = [];
  let base = revision;
  for (let match = STEP.exec(base); match !== null; match = STEP.exec(base)) {
    if (match[2] !== undefined)
      steps.unshift({ firstParentHops: match[2] === '' ? 1 : Number(match[2]), parentIndex: 0 });
    else steps.unshift({ firstParentHops: 0, parentIndex: match[3] === '' ? 1 : Number(match[3]) });
    base = base.slice(0, match.index);
  }
  let id = await resolveBase(repo, base, revision);
  for (const step of steps) {
    for (let hop = 0; hop < step.firstParentHops; hop++) id = await parentOf(repo, id, 1, revision);
    if (step.parentIndex > 0) id = await parentOf(repo, id, step.parentIndex, revision);
  }
  return id;
}

const REFLOG_STEP = /^(.*)@\{(\d+)\}$/;

async function resolveBase(repo: Repository, name: string, revision: string): Promise<ObjectId> {
  const reflogStep = REFLOG_STEP.exec(name);
  if (reflogStep !== null)
    return resolveReflogStep(repo, reflogStep[1] || HEAD, Number(reflogStep[2]), revision);
  if (isObjectId(name)) {
    if (!(await repo.objects.has(name)))
      throw new EnvSyncError('E_OBJECT_MISSING', `object ${shortId(name)} is missing`);
    return name;
  }
  for (const candidate of refCandidates(name)) {
    if (!isValidRefName(candidate)) continue;
    const id = await repo.refs.read(candidate);
    if (id !== null) return id;
  }
  if (/^[0-9a-f]+$/.test(name) && name.length >= MIN_PREFIX) {
    const matches = await repo.objects.findByPrefix(name);
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      const list = matches.slice(0, 10).map(shortId).join(', ');
      throw new EnvSyncError('E_AMBIGUOUS', `short id ${name} is ambiguous; candidates: ${list}`);
    }
  }
  throw new EnvSyncError('E_BAD_REVISION', `unknown revision '${printable(revision)}'`);
}

/** Where a ref was `back` moves ago: the new id of its reflog's `back`-th line from the end. */
async function resolveReflogStep(
  repo: Repository,
  name: string,
  back: number,
  revision: string,
): Promise<ObjectId> {
  for (const candidate of name === HEAD ? [HEAD] : refCandidates(name)) {
    const entries = await repo.refs.reflog(candidate);
    if (entries.length === 0) continue;
    const id = entries[entries.length - 1 - back]?.new;
    if (id !== undefined && id !== null) return id;
    break;
  }
  throw new EnvSyncError(
    'E_BAD_REVISION',
    `'${printable(revision)}': the reflog of ${name} has no entry ${back}`,
  );
}

async function parentOf(repo: Repository, id: ObjectId, index: number, revision: string): Promise<ObjectId> {
  const commit = await repo.objects.readTyped(id, 'commit');
  const parent = commit.parents[index - 1];
  if (parent === undefined) {
    throw new EnvSyncError(
      'E_BAD_REVISION',
      `'${printable(revision)}': commit ${shortId(id)} has no parent ${index}`,
    );
  }
  return parent;
}

function printable(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
