// Ref name rules (a subset of git check-ref-format): what may name a ref and how short names expand.
// A valid name never escapes refs/, never holds control characters, `..`, or a component ending in `.lock` or
// in `.tmp-<hex>` (the lock and temp files written beside a ref).

import { EnvSyncError } from '../errors.ts';
import { TEMP_NAME } from './fs-atomic.ts';

export const HEAD = 'HEAD';
export const MEMBERS_REF = 'refs/members';

const COMPONENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function isValidRefName(name: string): boolean {
  if (name === HEAD) return true;
  if (!name.startsWith('refs/') || name.length > 255) return false;
  const parts = name.split('/');
  if (parts.length < 2) return false;
  return parts.every(isValidComponent);
}

function isValidComponent(part: string): boolean {
  return COMPONENT.test(part) && !part.includes('..') && !part.endsWith('.lock') && !TEMP_NAME.test(part);
}

/** Throws E_REF_NAME unless `name` is a full ref name (HEAD or refs/…). */
export function validateRefName(name: string): string {
  if (!isValidRefName(name)) {
    throw new EnvSyncError('E_REF_NAME', `invalid ref name ${JSON.stringify(name.slice(0, 80))}`);
  }
  return name;
}

/** An environment or remote name: one ref component. */
export function validateComponent(name: string, what: string): string {
  if (!isValidComponent(name) || name.length > 100) {
    throw new EnvSyncError('E_REF_NAME', `invalid ${what} name ${JSON.stringify(name.slice(0, 80))}`);
  }
  return name;
}

export const BRANCH_PREFIX = 'refs/heads/';

export function branchRef(env: string): string {
  return `${BRANCH_PREFIX}${validateComponent(env, 'environment')}`;
}

/** The environment a branch ref (`refs/heads/<env>`) holds. */
export function environmentOf(ref: string): string {
  return ref.slice(BRANCH_PREFIX.length);
}

export function remoteRef(remote: string, env: string): string {
  return `refs/remotes/${validateComponent(remote, 'remote')}/${validateComponent(env, 'environment')}`;
}

/** The full names a short name may stand for, in the order git tries them. */
export function refCandidates(name: string): string[] {
  if (name === HEAD) return [HEAD];
  if (name.startsWith('refs/')) return [name];
  return [`refs/${name}`, `refs/heads/${name}`, `refs/remotes/${name}`].filter(isValidRefName);
}
