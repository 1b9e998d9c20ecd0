// The group id commits to the security mode chosen at init, so an edited `core.mode` or `core.group` is caught
// when the repository is opened, with one hash or one object read (docs/security.md#the-mode-is-bound-to-the-group).

import { randomBytes } from 'node:crypto';
import { EnvSyncError } from '../errors.ts';
import { encodeCanonical } from './encoding.ts';
import { hashObjectBytes, type ObjectId, shortId } from './object-id.ts';
import { MEMBERS_REF } from './ref-names.ts';
import type { Repository, SecurityMode } from './repository.ts';

/** The modes without a membership chain: their group id is a hash of the mode and a random nonce. */
export type HashedGroupMode = Exclude<SecurityMode, 'secure-peer'>;
const HASHED_GROUP_MODES: readonly HashedGroupMode[] = ['trusted-owner-ssh', 'dev-plaintext-http'];
const NONCE = /^[0-9a-f]{32}$/;

/** `core.group` of a hashed-group mode: SHA-256 of canonical `["env-sync-group", 1, mode, nonce]`. */
export function hashedGroupId(mode: HashedGroupMode, nonce: string): ObjectId {
  return hashObjectBytes(encodeCanonical(['env-sync-group', 1, mode, Buffer.from(nonce, 'hex')]));
}

export function isGroupNonce(text: string): boolean {
  return NONCE.test(text);
}

export interface GroupBinding {
  readonly group: ObjectId;
  /** The 16-byte nonce in hex (`core.groupNonce`); null in secure-peer, whose group is its genesis event. */
  readonly nonce: string | null;
}

/**
 * The binding a new repository records: a new group (a hashed-group mode, no `group` given), the genesis id
 * `init` gives (secure-peer), or a remote's group, refused when its id does not commit to the mode it claims.
 */
export function bindNewGroup(mode: SecurityMode, group?: ObjectId, nonce?: string | null): GroupBinding {
  if (mode === 'secure-peer') {
    if (group === undefined || nonce != null) {
      throw new EnvSyncError(
        'E_CONFIG',
        'a secure-peer group is named by its genesis event id, with no nonce',
      );
    }
    return { group, nonce: null };
  }
  if (group === undefined) {
    const fresh = randomBytes(16).toString('hex');
    return { group: hashedGroupId(mode, fresh), nonce: fresh };
  }
  if (nonce == null || !isGroupNonce(nonce) || hashedGroupId(mode, nonce) !== group) {
    throw new EnvSyncError(
      'E_GROUP_MISMATCH',
      `group ${shortId(group)} was not created as a ${mode} group (its id does not commit to that mode); refusing`,
    );
  }
  return { group, nonce };
}

/** Throws unless the repository's mode, group and membership chain still agree. */
export async function checkGroupBinding(repo: Repository): Promise<void> {
  const problem = await groupBindingProblem(repo);
  if (problem !== null) throw new EnvSyncError('E_CONFIG', `${repo.configPath}: ${problem} — refusing`);
}

/** What is wrong with the binding, in one sentence, or null when it holds. */
export async function groupBindingProblem(repo: Repository): Promise<string | null> {
  const mode = repo.mode;
  const group = repo.group;
  const nonce = repo.config.get('core.groupNonce') ?? null;
  const hasChain = (await repo.refs.read(MEMBERS_REF)) !== null;
  const edited = (detail: string) => `${detail}; the configuration was edited`;
  const createdAs = nonce !== null && isGroupNonce(nonce) ? hashedModeOf(group, nonce) : null;
  if (mode === 'secure-peer') {
    if (createdAs !== null)
      return edited(`core.mode is secure-peer but the group was created as ${createdAs}`);
    if (!hasChain) return edited('core.mode is secure-peer but there is no membership chain (refs/members)');
    return checkGenesis(repo, group);
  }
  if (hasChain) {
    return edited(`core.mode is ${mode} but the group was created as secure-peer (refs/members exists)`);
  }
  if (createdAs === null) return edited('core.group does not commit to core.mode and core.groupNonce');
  if (createdAs !== mode) return edited(`core.mode is ${mode} but the group was created as ${createdAs}`);
  return null;
}

function hashedModeOf(group: ObjectId, nonce: string): HashedGroupMode | null {
  return HASHED_GROUP_MODES.find((mode) => hashedGroupId(mode, nonce) === group) ?? null;
}

/**
 * A secure-peer group is named by its genesis event, which must be here and must name secure-peer as the mode
 * the group was founded in (its first subject field, docs/membership.md#event-kinds-and-their-subjects).
 */
async function checkGenesis(repo: Repository, group: ObjectId): Promise<string | null> {
  const genesis = (await repo.objects.has(group)) ? await repo.objects.read(group).catch(() => null) : null;
  if (genesis === null || genesis.type !== 'event' || genesis.kind !== 'genesis') {
    return `core.group ${shortId(group)} is not this group's genesis event; the configuration was edited`;
  }
  if (genesis.subject[0] !== 'secure-peer') {
    return `the genesis event ${shortId(group)} does not found a secure-peer group; the configuration was edited`;
  }
  return null;
}
