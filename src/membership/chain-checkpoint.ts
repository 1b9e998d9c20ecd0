// `.env-sync/members-checkpoint`: the registry at the canonical tip and the ids of every held event, so that
// applying new events costs what they cost, not a re-read of the chain. A derived cache, never truth
// (docs/membership.md#checkpoint): an append-only journal, a base record then one delta per save, keyed by the
// tip and the fork tips and ignored whole when any record is off.

import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { isNotFound, readFileOrNull, writeFileAtomic } from '../store/fs-atomic.ts';
import { isObjectId, type ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { type PeerRecord, Registry, type RegistrySnapshot } from './registry.ts';
import type { MemberTree } from './tree.ts';

export const CHECKPOINT_FILE = 'members-checkpoint';
const TYPE = 'env-sync-members-checkpoint';
const VERSION = 2;
/** A save rewrites the base (compacts) instead of appending once the deltas outweigh it, or after this many. */
const MAX_DELTAS = 1000;
/** How much of the file's end a save reads to find where the last record ends (see DELTA_END). */
const TAIL_BYTES = 256;

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

/** What every record says of the chain after it. */
interface ChainState {
  readonly tip: ObjectId;
  readonly forks: readonly ObjectId[];
  readonly latest: number;
  /** Base: every held id and the whole registry. Delta: the ids added and the records and nonces changed. */
  readonly held: readonly ObjectId[];
  readonly registry: RegistrySnapshot;
}

interface BaseRecord extends ChainState {
  readonly type: typeof TYPE;
  readonly version: typeof VERSION;
  readonly group: ObjectId;
}

interface DeltaRecord extends ChainState {
  /** The tip of the record it follows. */
  readonly from: ObjectId;
  /** Deltas since the base, this one included, and the size of the base line: when to compact. */
  readonly deltas: number;
  readonly base: number;
}

/** One record per line: the first 16 hex digits of the SHA-256 of the JSON, a space, the JSON. */
function line(record: BaseRecord | DeltaRecord): Buffer {
  const json = Buffer.from(JSON.stringify(record));
  return Buffer.concat([Buffer.from(`${checksum(json)} `), json, NEWLINE]);
}

const NEWLINE = Buffer.from('\n');
const checksum = (json: Uint8Array): string => createHash('sha256').update(json).digest('hex').slice(0, 16);

/** The record on a line, or null when its checksum or JSON is off (a torn or altered write). */
function parseLine(text: Buffer): unknown {
  const json = text.subarray(17);
  if (text[16] !== 0x20 || checksum(json) !== text.toString('latin1', 0, 16)) return null;
  try {
    return JSON.parse(json.toString('utf8'));
  } catch {
    return null;
  }
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** The chain state a journal describes: its base with every delta applied in order; null if any record is off. */
function replayJournal(bytes: Buffer, group: ObjectId): (ChainState & { held: ObjectId[] }) | null {
  if (bytes.at(-1) !== 0x0a) return null; // empty, or a torn last append
  let end = bytes.indexOf(0x0a);
  const base = parseLine(bytes.subarray(0, end)) as BaseRecord;
  if (!isState(base) || base.type !== TYPE || base.version !== VERSION || base.group !== group) return null;
  let state = {
    ...base,
    held: [...base.held],
    peers: [...base.registry.peers],
    nonces: [...base.registry.nonces],
  };
  for (let start = end + 1; start < bytes.length; start = end + 1) {
    end = bytes.indexOf(0x0a, start);
    const delta = parseLine(bytes.subarray(start, end)) as DeltaRecord;
    if (!isState(delta) || delta.from !== state.tip || !Number.isSafeInteger(delta.deltas)) return null;
    state.held.push(...delta.held);
    state.peers.push(...delta.registry.peers);
    state.nonces.push(...delta.registry.nonces);
    state = { ...state, tip: delta.tip, forks: delta.forks, latest: delta.latest };
  }
  return { ...state, registry: { peers: state.peers, nonces: state.nonces } };
}

/** The checkpoint for `key`, or null when it is missing, unreadable, malformed or for another chain state. */
export async function readCheckpoint(repo: Repository, key: CheckpointKey): Promise<ChainCheckpoint | null> {
  const bytes = await readFileOrNull(path.join(repo.dir, CHECKPOINT_FILE)).catch(() => null);
  if (bytes === null) return null;
  const state = replayJournal(bytes, repo.group);
  if (state === null || state.tip !== key.tip || !sameSet(state.forks, key.forks)) return null;
  const held = new Set(state.held);
  if (!held.has(key.tip)) return null;
  return { held, registry: Registry.fromSnapshot(state.registry), latest: state.latest };
}

/**
 * Records `tree`'s canonical tip, registry and held ids for the key refs/members and `forks` now hold: a tree
 * resumed at the journal's last tip appends a delta (what it added), anything else rewrites the base (also
 * when the deltas have grown past the base). Not fsynced: after a crash the journal is at worst missing,
 * stale or torn, and then recomputed. Never fails the operation it follows: if it cannot be written, it is
 * removed (and if that fails, its key no longer matches the chain, so it is ignored).
 */
export async function writeCheckpoint(
  repo: Repository,
  tree: MemberTree,
  forks: readonly ObjectId[],
): Promise<void> {
  const file = path.join(repo.dir, CHECKPOINT_FILE);
  try {
    if (tree.resumedAt !== null && (await appendDelta(file, tree, forks, tree.resumedAt))) return;
    const base: BaseRecord = { type: TYPE, version: VERSION, group: tree.group, ...baseState(tree, forks) };
    await writeFileAtomic(file, line(base), undefined, { durable: false });
  } catch {
    await fs.rm(file, { force: true }).catch(() => {});
  }
}

function baseState(tree: MemberTree, forks: readonly ObjectId[]): ChainState {
  return {
    forks,
    latest: tree.latest,
    held: tree.heldIds(),
    registry: tree.registry().snapshot(),
    tip: tree.tip().id,
  };
}

// Every record ends with its tip, a delta's after its count and base size, so a save finds them in the file's
// last bytes however long the record is. (The line's checksum is not checked there: reading checks it.)
const BASE_END = /,"tip":"([0-9a-f]{64})"\}\n$/;
const DELTA_END = /,"deltas":(\d+),"base":(\d+),"tip":"([0-9a-f]{64})"\}\n$/;

/**
 * Appends what `tree` added since `from` when the journal's last record ends at `from`: reads only the file's
 * last bytes and writes one line. False (nothing written) when there is no journal, its last record is
 * another tip or unrecognizable, or it is time to compact.
 */
async function appendDelta(
  file: string,
  tree: MemberTree,
  forks: readonly ObjectId[],
  from: ObjectId,
): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDWR | constants.O_APPEND);
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const tail = Buffer.alloc(length);
    await handle.read(tail, 0, length, size - length);
    const text = tail.toString('latin1');
    // A base is always the first record: when it is the last one too, the journal is that base alone.
    const delta = DELTA_END.exec(text);
    const last = delta === null ? BASE_END.exec(text) : null;
    const tip = delta?.[3] ?? last?.[1];
    if (tip !== from) return false;
    const deltas = delta === null ? 1 : Number(delta[1]) + 1;
    const base = delta === null ? size : Number(delta[2]);
    if (deltas > MAX_DELTAS || size > 2 * base) return false;
    const record: DeltaRecord = {
      from,
      forks,
      latest: tree.latest,
      held: tree.addedIds(),
      registry: tree.registry().changes(),
      deltas,
      base,
      tip: tree.tip().id,
    };
    await handle.write(line(record));
    return true;
  } finally {
    await handle.close();
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

const isIds = (v: unknown): v is ObjectId[] =>
  Array.isArray(v) && v.every((id) => typeof id === 'string' && isObjectId(id));

function isState(v: unknown): v is ChainState {
  const s = v as Partial<Record<keyof ChainState, unknown>> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.tip === 'string' &&
    isObjectId(s.tip) &&
    isIds(s.forks) &&
    Number.isSafeInteger(s.latest) &&
    isIds(s.held) &&
    isSnapshot(s.registry)
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
