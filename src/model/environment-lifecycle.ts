// Which environments exist, and creating or deleting one. An environment exists when its branch does;
// `main` is the exception: a fresh repository's `main` exists before its first commit (an unborn branch).

import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import { BRANCH_PREFIX, branchRef, environmentOf } from '../store/ref-names.ts';
import { DEFAULT_ENVIRONMENT, type Repository } from '../store/repository.ts';
import { didYouMean } from '../suggest.ts';
import {
  commitEnvironment,
  type EnvironmentState,
  listEnvironments,
  readEnvironment,
  type Session,
} from './environment.ts';

/** The current environment: the branch HEAD points to, which `checkout` sets (`main` in a new repository). */
export async function currentEnvironment(repo: Repository): Promise<string> {
  const target = await repo.refs.headTarget();
  if (!target.startsWith(BRANCH_PREFIX)) {
    throw new EnvSyncError('E_REF_CORRUPT', `HEAD points to ${target}, not to an environment`);
  }
  return environmentOf(target);
}

/** Reads `env`, refusing one that does not exist (a typo should not silently read or create an empty one). */
export async function readExistingEnvironment(session: Session, env: string): Promise<EnvironmentState> {
  const state = await readEnvironment(session, env);
  if (state.head === null && env !== DEFAULT_ENVIRONMENT) throw await missingEnvironment(session.repo, env);
  return state;
}

/** The head of `env` without reading its values (null for an unborn `main`), refusing one that does not exist. */
export async function existingEnvironmentHead(repo: Repository, env: string): Promise<ObjectId | null> {
  const head = await repo.refs.read(branchRef(env));
  if (head === null && env !== DEFAULT_ENVIRONMENT) throw await missingEnvironment(repo, env);
  return head;
}

export async function missingEnvironment(repo: Repository, env: string): Promise<EnvSyncError> {
  const hint = didYouMean(env, await listEnvironments(repo));
  return new EnvSyncError(
    'E_BAD_REVISION',
    `environment '${env}' does not exist${hint}; see 'env-sync env list' or create it with 'env-sync env create ${env}'`,
  );
}

export interface CreateOptions {
  /** Start from this environment's current commit; otherwise start empty. */
  readonly from?: string;
  readonly message?: string;
}

/**
 * Creates `env`. With `from`, the new branch points at the same commit as `from` (as `git branch new old`);
 * without, it gets a first commit with no keys, so that it exists for `env list` and for other peers.
 */
export async function createEnvironment(
  session: Session,
  env: string,
  options: CreateOptions = {},
): Promise<ObjectId> {
  const ref = branchRef(env);
  if ((await session.repo.refs.read(ref)) !== null) {
    throw new EnvSyncError('E_REF_CONFLICT', `environment '${env}' already exists`);
  }
  if (options.from !== undefined) {
    const source = await readEnvironment(session, options.from);
    if (source.head === null) throw await missingEnvironment(session.repo, options.from);
    await session.repo.refs.update(ref, source.head, {
      peer: session.peerId,
      reason: `env create: from ${options.from}`,
      expected: null,
    });
    return source.head;
  }
  const state = await readEnvironment(session, env);
  return commitEnvironment(session, state, {
    entries: new Map(),
    message: options.message ?? `Create environment ${env}`,
  });
}

/** Deletes the branch; its commits stay in the object store and the reflog records the old head. */
export async function deleteEnvironment(session: Session, env: string): Promise<ObjectId> {
  const ref = branchRef(env);
  const head = await session.repo.refs.read(ref);
  if (head === null) throw await missingEnvironment(session.repo, env);
  if ((await session.repo.refs.headTarget()) === ref) {
    throw new EnvSyncError('E_USAGE', `environment '${env}' is the repository's HEAD and cannot be deleted`);
  }
  await session.repo.refs.delete(ref, { peer: session.peerId, reason: 'env delete', expected: head });
  return head;
}
