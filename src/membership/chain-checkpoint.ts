// `.env-sync/members-checkpoint`: the registry at the canonical tip and the ids of every held event, so that
// applying new events costs what they touch, not a re-read of the chain or of the whole registry. A derived
// cache, never truth (docs/membership.md#checkpoint): pages by key bucket and a root that points at them,
// appended to on each save, keyed by the tip and the fork tips and ignored whole when its root is off.

import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { FILE_MODE, writeFileAtomic } from '../store/fs-atomic.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { CheckpointPages, type CheckpointTouch } from './checkpoint-pages.ts';
import {
  bucketOf,
  bucketsFor,
  emptyPage,
  type PageDraft,
  type PageRecord,
  type PageRef,
  type RootRecord,
  recordLine,
  type StoredNonce,
  storedPeer,
  TYPE,
  VERSION,
} from './checkpoint-records.ts';
import { hex, Registry } from './registry.ts';
import type { MemberTree } from './tree.ts';

export const CHECKPOINT_FILE = 'members-checkpoint';
/** A save rewrites the file whole (compacts) instead of appending after this many appends. */
const MAX_APPENDS = 1000;

/** What the checkpoint is valid for: refs/members and the fork tips as read from disk. */
export interface CheckpointKey {
  readonly tip: ObjectId;
  readonly forks: readonly ObjectId[];
}

export interface ChainCheckpoint {
  /** Every held event's id, the tip's included (read page by page). */
  readonly held: CheckpointPages;
  /** The registry at the tip, its records read page by page. */
  readonly registry: Registry;
  readonly latest: number;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * The checkpoint for `key`, or null when it is missing, unreadable, malformed or for another chain state. The
 * pages `touch` needs (by default every page) are read and checked now: a damaged one makes it null too.
 */
export async function readCheckpoint(
  repo: Repository,
  key: CheckpointKey,
  touch: CheckpointTouch | 'all' | (() => CheckpointTouch) = 'all',
): Promise<ChainCheckpoint | null> {
  const pages = CheckpointPages.open(path.join(repo.dir, CHECKPOINT_FILE), repo.group);
  if (pages === null) return null;
  const { root } = pages;
  try {
    if (root.tip !== key.tip || !sameSet(root.forks, key.forks)) throw new Error('another chain state');
    pages.touch(typeof touch === 'function' ? touch() : touch);
    if (!pages.has(key.tip)) throw new Error('the tip is not held');
  } catch {
    pages.close();
    return null;
  }
  return { held: pages, registry: new Registry(pages), latest: root.latest };
}

/**
 * Records `tree`'s canonical tip, registry and held ids for the key refs/members and `forks` now hold: a tree
 * resumed from the file's last root appends the pages its events changed and a new root; a `prepared` file
 * for this very tree and forks is moved into place; anything else (or too many appends, or appends outweighing
 * the live pages) rewrites the file whole. Not fsynced: after a crash the file is at worst missing, stale or
 * torn, and then recomputed. Never fails the operation it follows: if it cannot be written, it is removed (and
 * if that fails, its key no longer matches the chain). A `prepared` file not used is removed.
 */
export async function writeCheckpoint(
  repo: Repository,
  tree: MemberTree,
  forks: readonly ObjectId[],
  prepared?: PreparedCheckpoint,
): Promise<void> {
  const file = path.join(repo.dir, CHECKPOINT_FILE);
  try {
    const from = tree.heldBefore;
    const resumed = from instanceof CheckpointPages && from.root.tip === tree.resumedAt;
    if (resumed && (await appendSave(file, from, tree, forks))) return;
    const ready = prepared?.tree === tree && sameSet(prepared.forks, forks) && (await prepared.written);
    if (ready) await fs.rename(prepared.temp, file);
    else await writeFileAtomic(file, wholeFile(repo.group, tree, forks), undefined, { durable: false });
  } catch {
    await fs.rm(file, { force: true }).catch(() => {});
  } finally {
    if (prepared !== undefined) await discardCheckpoint(prepared);
  }
}

type Root = Omit<RootRecord, 'pages' | 'at' | 'appends'>;

function rootOf(
  group: ObjectId,
  tree: MemberTree,
  forks: readonly ObjectId[],
  peers: number,
  entries: number,
): Root {
  const registry = tree.registry();
  return {
    type: TYPE,
    version: VERSION,
    group,
    tip: tree.tip().id,
    forks,
    latest: tree.latest,
    admins: registry.approvedAdmins(),
    peers,
    entries,
  };
}

/** Pages then the root, written after `start`; returns the bytes. */
function lines(
  start: number,
  pages: readonly PageRecord[],
  refs: PageRef[],
  root: Root,
  appends: number,
): Buffer {
  const out: Buffer[] = [];
  let offset = start;
  for (const page of pages) {
    const { parts, checksum, length } = recordLine(page);
    refs[page.bucket] = [offset, length, checksum];
    out.push(...parts);
    offset += length;
  }
  out.push(...recordLine({ ...root, pages: refs, appends, at: offset }).parts);
  return Buffer.concat(out);
}

/**
 * The whole file for `tree` and `forks`, written to a temporary file next to the checkpoint ahead of the save
 * that moves it into place (writeCheckpoint) or removes it (discardCheckpoint).
 */
export interface PreparedCheckpoint {
  readonly tree: MemberTree;
  readonly forks: readonly ObjectId[];
  readonly temp: string;
  /** False when the temporary file could not be written (it is then removed already). */
  readonly written: Promise<boolean>;
}

/**
 * Serializes the whole checkpoint of a tree not resumed from one (a first fetch's) and starts writing it,
 * while other threads are still checking its signatures: the save then only renames the file. Like any
 * interrupted atomic write, a crash before the rename leaves the temporary file (fsck notes it).
 */
export function prepareCheckpoint(repo: Repository, tree: MemberTree): PreparedCheckpoint {
  const forks = tree.leaves().filter((id) => id !== tree.tip().id);
  const file = path.join(repo.dir, CHECKPOINT_FILE);
  const temp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  const bytes = wholeFile(repo.group, tree, forks);
  const written = fs.writeFile(temp, bytes, { flag: 'wx', mode: FILE_MODE }).then(
    () => true,
    () => discardFile(temp).then(() => false),
  );
  return { tree, forks, temp, written };
}

/** Removes a prepared checkpoint's temporary file (once it is written): the save did not happen, or used it. */
export async function discardCheckpoint(prepared: PreparedCheckpoint): Promise<void> {
  if (await prepared.written) await discardFile(prepared.temp);
}

const discardFile = (file: string): Promise<void> => fs.rm(file, { force: true }).catch(() => {});

/** The whole file: every record of the tree's registry and every held id, on pages by bucket. */
function wholeFile(group: ObjectId, tree: MemberTree, forks: readonly ObjectId[]): Buffer {
  const registry = tree.registry();
  const peers = registry.peers();
  const nonces = registry.nonceEntries();
  const held = tree.heldIds();
  const entries = peers.length * 2 + nonces.length + held.length;
  const buckets = bucketsFor(entries);
  const pages = Array.from({ length: buckets }, (_, bucket) => emptyPage(bucket));
  peers.forEach((record, order) => {
    const key = hex(record.key);
    pages[bucketOf(key, buckets)]!.peers.push(storedPeer(record, key, order));
    pages[bucketOf(record.peerId, buckets)]!.ids.push([record.peerId, key]);
  });
  for (const nonce of nonces) pages[bucketOf(nonce[0], buckets)]!.nonces.push(nonce);
  for (const id of held) pages[bucketOf(id, buckets)]!.held.push(id);
  return lines(0, pages, [], rootOf(group, tree, forks, peers.length, entries), 0);
}

/**
 * Appends the pages `tree` changed since `from`'s root, and a root pointing at them, when the file is still
 * the one `from` read, unchanged. False (nothing written) when it is not, or it is time to compact.
 */
async function appendSave(
  file: string,
  from: CheckpointPages,
  tree: MemberTree,
  forks: readonly ObjectId[],
): Promise<boolean> {
  const { root } = from;
  const live = root.pages.reduce((sum, [, length]) => sum + length, from.size - root.at);
  if (root.appends + 1 > MAX_APPENDS || from.size > 2 * live) return false;
  const handle = await fs.open(file, constants.O_RDWR | constants.O_APPEND);
  try {
    const stat = await handle.stat();
    if (stat.ino !== from.inode || stat.size !== from.size) return false;
    const buckets = from.buckets;
    const changed = new Map<number, PageDraft>();
    const page = (key: string) => {
      const bucket = bucketOf(key, buckets);
      let next = changed.get(bucket);
      if (next === undefined) {
        const { record } = from.page(bucket);
        next = {
          bucket,
          peers: [...record.peers],
          nonces: [...record.nonces],
          held: [...record.held],
          ids: [...record.ids],
        };
        changed.set(bucket, next);
      }
      return next;
    };
    const { peers, nonces } = tree.registry().changes();
    let count = root.peers;
    let entries = root.entries;
    for (const peer of peers) {
      const order = from.order(peer.key);
      const stored = storedPeer(peer, peer.key, order ?? count++);
      replace(page(peer.key).peers, stored, (p) => p.key === peer.key);
      if (order !== undefined) continue;
      page(peer.peerId).ids.push([peer.peerId, peer.key]);
      entries += 2;
    }
    for (const nonce of nonces) {
      if (from.nonce(nonce[0]) === undefined) entries++;
      replace(page(nonce[0]).nonces, nonce, (n: StoredNonce) => n[0] === nonce[0]);
    }
    for (const id of tree.addedIds()) {
      if (from.has(id)) continue;
      page(id).held.push(id);
      entries++;
    }
    // Pages grown to twice the size they were cut for: rewrite with more buckets instead.
    if (bucketsFor(entries) > 2 * buckets) return false;
    const bytes = lines(
      from.size,
      [...changed.values()],
      [...root.pages],
      rootOf(root.group, tree, forks, count, entries),
      root.appends + 1,
    );
    await handle.write(bytes);
    return true;
  } finally {
    await handle.close();
  }
}

function replace<T>(list: T[], item: T, same: (entry: T) => boolean): void {
  const at = list.findIndex(same);
  if (at < 0) list.push(item);
  else list[at] = item;
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
  // Pages list nonces by bucket, a registry in the order it met them: compare them sorted.
  const registry = (r: Registry): string => {
    const { peers, nonces } = r.snapshot();
    return JSON.stringify([peers, [...nonces].sort((a, b) => (a[0] < b[0] ? -1 : 1)), r.approvedAdmins()]);
  };
  // The id → key index too: a peer the index no longer leads to would be looked up as unknown.
  const indexed = tree
    .registry()
    .peers()
    .every((peer) => checkpoint.registry.byPeerId(peer.peerId) !== undefined);
  const same =
    registry(checkpoint.registry) === registry(tree.registry()) &&
    indexed &&
    sameSet(checkpoint.held.values(), tree.heldIds());
  checkpoint.held.close();
  if (same) return null;
  return `.env-sync/${CHECKPOINT_FILE} does not match the chain; it is a cache: delete it and it is recomputed`;
}
