// Environments: each is a branch refs/heads/<env> whose commits point at snapshots. Reading gives the head
// commit and its key → value map; committing writes snapshot + commit and moves the branch by compare-and-swap.

import { nowSeconds } from '../clock.ts';
import { isEnvSyncError } from '../errors.ts';
import { commitSigningBytes, UNSIGNED } from '../store/commit-signing.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { CommitObject } from '../store/objects.ts';
import { branchRef, environmentOf, MEMBERS_REF } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { resolveRevision } from '../store/revision.ts';
import { snapshotKeys } from './snapshot.ts';
import type { Entries, SnapshotCodec } from './snapshot-codec.ts';

/** What a command needs to read and write secrets: the repository, who we are, and how snapshots are sealed. */
export interface Session {
  readonly repo: Repository;
  readonly peerId: string;
  readonly codec: SnapshotCodec;
  /** Signs a commit's signing bytes with this peer's key (secure-peer); null where commits are unsigned. */
  readonly signCommit: ((message: Uint8Array) => Promise<Uint8Array>) | null;
}

export interface EnvironmentState {
  readonly env: string;
  readonly ref: string;
  /** Null for an environment with no commit yet. */
  readonly head: ObjectId | null;
  readonly commit: CommitObject | null;
  readonly entries: Entries;
}

export async function readEnvironment(session: Session, env: string): Promise<EnvironmentState> {
  const ref = branchRef(env);
  const head = await session.repo.refs.read(ref);
  if (head === null) return { env, ref, head, commit: null, entries: new Map() };
  const commit = await session.repo.objects.readTyped(head, 'commit');
  const entries = await readCommitEntries(session, commit);
  return { env, ref, head, commit, entries };
}

export async function readCommitEntries(session: Session, commit: CommitObject): Promise<Entries> {
  const snapshot = await session.repo.objects.readTyped(commit.snapshot, 'snapshot');
  return session.codec.open(snapshot, `snapshot ${commit.snapshot.slice(0, 12)}`);
}

/** The commit's values, or null when this peer is not among the readers it was sealed to. */
export async function readableEntries(session: Session, commit: CommitObject): Promise<Entries | null> {
  return readCommitEntries(session, commit).catch((error: unknown) => {
    if (isEnvSyncError(error, 'E_NOT_RECIPIENT')) return null;
    throw error;
  });
}

/** The commit's key names, sorted; they are stored in the clear, so every member can read them. */
export async function commitKeys(session: Session, commit: CommitObject): Promise<string[]> {
  return [...snapshotKeys(await session.repo.objects.readTyped(commit.snapshot, 'snapshot'))].sort();
}

export interface CommitRequest {
  readonly entries: Entries;
  readonly message: string;
  /** Defaults to [state.head] when there is one. */
  readonly parents?: readonly ObjectId[];
}

/** Writes a commit on top of `state` and moves the branch only if nobody moved it meanwhile. */
export async function commitEnvironment(
  session: Session,
  state: EnvironmentState,
  request: CommitRequest,
): Promise<ObjectId> {
  const { repo } = session;
  const snapshot = await repo.objects.write(await session.codec.seal(request.entries));
  const commit = await writeCommit(session, {
    snapshot,
    parents: request.parents ?? (state.head === null ? [] : [state.head]),
    message: request.message,
  });
  await repo.refs.update(state.ref, commit, {
    peer: session.peerId,
    reason: firstLine(request.message),
    expected: state.head,
  });
  return commit;
}

/**
 * Writes a commit by this peer naming the membership tip it sees, signed where the session signs
 * (secure-peer: every receiver checks it against the registry at that tip).
 */
export async function writeCommit(
  session: Session,
  fields: Pick<CommitObject, 'snapshot' | 'parents' | 'message'>,
): Promise<ObjectId> {
  const { repo } = session;
  const unsigned: CommitObject = {
    type: 'commit',
    ...fields,
    author: session.peerId,
    time: nowSeconds(),
    members: await repo.refs.read(MEMBERS_REF),
    signature: UNSIGNED,
  };
  const signature =
    session.signCommit === null
      ? UNSIGNED
      : await session.signCommit(commitSigningBytes(unsigned, repo.group));
  return repo.objects.write({ ...unsigned, signature });
}

/** Environments that exist (have a branch), sorted. */
export async function listEnvironments(repo: Repository): Promise<string[]> {
  return (await repo.refs.list('refs/heads/')).map((ref) => environmentOf(ref.name));
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

export interface RevisionState {
  readonly id: ObjectId;
  readonly commit: CommitObject;
  readonly entries: Entries;
}

/** The commit a revision names (`main~2`, `origin/main`, an id, `@{1}`…) and its values. */
export async function readRevision(session: Session, revision: string): Promise<RevisionState> {
  const id = await resolveRevision(session.repo, revision);
  const commit = await session.repo.objects.readTyped(id, 'commit');
  return { id, commit, entries: await readCommitEntries(session, commit) };
}
