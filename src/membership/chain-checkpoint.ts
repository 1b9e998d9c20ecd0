// `.env-sync/members-checkpoint`: the registry at the canonical tip and the ids of every held event, so that
// applying new events costs what they cost, not a re-read of the chain. A derived cache, never truth
// (docs/membership.md#storage): keyed by the tip and the fork tips, and ignored when anything is off.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readFileOrNull, writeFileAtomic } from '../store/fs-atomic.ts';
import { isObjectId, type ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { type PeerRecord, Registry, type RegistrySnapshot } from './registry.ts';
import type { MemberTree } from './tree.ts';

export const CHECKPOINT_FILE = 'members-checkpoint';
const TYPE = 'env-sync-members-checkpoint';

/** What the checkpoint is valid for: refs/members and the fork tips as read from disk. */
export interface CheckpointKey {
  readonly tip: ObjectId;
  readonly forks: readonly ObjectId[];
}

export interface ChainCheckpoint {
  readonly held: ReadonlySet<ObjectId>;
  readonly registry: Registry;
  /** The latest `time` of any held event: a clock set back before it makes the checkpoint unusable. */
  readonly latest: number;
}

interface CheckpointFile {
  readonly type: typeof TYPE;
  readonly version: 1;
  readonly group: ObjectId;
  readonly tip: ObjectId;
  readonly forks: readonly ObjectId[];
  readonly latest: number;
  readonly held: readonly ObjectId[];
  readonly registry: RegistrySnapshot;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** The checkpoint for `key`, or null when it is missing, unreadable, malformed or for another chain state. */
export async function readCheckpoint(repo: Repository, key: CheckpointKey): Promise<ChainCheckpoint | null> {
  const bytes = await readFileOrNull(path.join(repo.dir, CHECKPOINT_FILE)).catch(() => null);
  if (bytes === null) return null;
  let data: CheckpointFile;
  try {
    data = JSON.parse(bytes.toString('utf8')) as CheckpointFile;
  } catch {
    return null;
  }
  if (
    data?.type !== TYPE ||
    data.version !== 1 ||
    data.group !== repo.group ||
    data.tip !== key.tip ||
    !Array.isArray(data.forks) ||
    !sameSet(data.forks, key.forks) ||
    !Number.isSafeInteger(data.latest) ||
    !Array.isArray(data.held) ||
    !data.held.every(isObjectId) ||
    !data.held.includes(key.tip) ||
    !isSnapshot(data.registry)
  ) {
    return null;
  }
  return { held: new Set(data.held), registry: Registry.fromSnapshot(data.registry), latest: data.latest };
}

/**
 * Records `tree`'s canonical tip, registry and held ids for the key refs/members and `forks` now hold. Written
 * atomically (0600) but not fsynced: after a crash it is at worst missing or stale, and then recomputed. Never
 * fails the operation it follows: if it cannot be written, it is removed (and if that fails, its key no longer
 * matches the chain, so it is ignored).
 */
export async function writeCheckpoint(
  repo: Repository,
  tree: MemberTree,
  forks: readonly ObjectId[],
): Promise<void> {
  const data: CheckpointFile = {
    type: TYPE,
    version: 1,
    group: tree.group,
    tip: tree.tip().id,
    forks,
    latest: tree.latest,
    held: tree.heldIds(),
    registry: tree.registry().snapshot(),
  };
  const file = path.join(repo.dir, CHECKPOINT_FILE);
  try {
    await writeFileAtomic(file, JSON.stringify(data), undefined, { durable: false });
  } catch {
    await fs.rm(file, { force: true }).catch(() => {});
  }
}

/**
 * Null when there is no checkpoint for `key` or it describes `tree` (the chain as refs/members and `key.forks`
 * hold it) exactly; otherwise the problem, for `log --verify`: a checkpoint that matches its key is trusted.
 */
export async function checkpointMismatch(
  repo: Repository,
  tree: MemberTree,
  key: CheckpointKey,
): Promise<string | null> {
  const checkpoint = await readCheckpoint(repo, key);
  if (checkpoint === null) return null;
  const registry = (r: Registry): string => JSON.stringify(r.snapshot());
  if (
    registry(checkpoint.registry) === registry(tree.registry()) &&
    sameSet([...checkpoint.held], tree.heldIds())
  ) {
    return null;
  }
  return `.env-sync/${CHECKPOINT_FILE} does not match the chain; it is a cache: delete it and it is recomputed`;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const isText = (v: unknown): v is string => typeof v === 'string';
const isTextOrNull = (v: unknown): boolean => v === null || typeof v === 'string';

function isPeer(p: Partial<Record<keyof PeerRecord, unknown>>): boolean {
  const since = p.since as { event?: unknown; time?: unknown } | undefined;
  return (
    typeof p === 'object' &&
    p !== null &&
    isText(p.peerId) &&
    isText(p.key) &&
    HEX64.test(p.key) &&
    isText(p.name) &&
    isText(p.ageRecipient) &&
    isText(p.certificateFingerprint) &&
    (p.role === null || p.role === 'admin' || p.role === 'member') &&
    (p.state === 'pending' || p.state === 'approved' || p.state === 'revoked') &&
    typeof since === 'object' &&
    since !== null &&
    isText(since.event) &&
    isObjectId(since.event) &&
    Number.isSafeInteger(since.time) &&
    isText(p.by) &&
    (p.expires === null || Number.isSafeInteger(p.expires)) &&
    isTextOrNull(p.reason)
  );
}

function isSnapshot(v: unknown): v is RegistrySnapshot {
  const s = v as { peers?: unknown; nonces?: unknown } | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    Array.isArray(s.peers) &&
    s.peers.every(isPeer) &&
    Array.isArray(s.nonces) &&
    s.nonces.every(
      (n: unknown) =>
        Array.isArray(n) &&
        n.length === 3 &&
        isText(n[0]) &&
        HEX32.test(n[0]) &&
        isText(n[1]) &&
        HEX64.test(n[1]) &&
        typeof n[2] === 'boolean',
    )
  );
}
