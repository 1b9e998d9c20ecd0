// Reading `.env-sync/members-checkpoint` page by page (docs/membership.md#checkpoint): the root at the file's
// end says where each bucket's page is; a page is read, checked and parsed only when a key on it is asked for,
// so resuming the chain costs what the new events touch, not the size of the registry.

import { closeSync, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import {
  bucketOf,
  isPage,
  isRoot,
  type PageRecord,
  parseLine,
  peerRecord,
  type RootRecord,
  type StoredNonce,
} from './checkpoint-records.ts';
import type { PeerRecord, RegistrySource } from './registry.ts';
import type { HeldIds } from './tree.ts';

/** A page as parsed: the stored record, and its entries by key. */
interface LoadedPage {
  readonly record: PageRecord;
  readonly peers: ReadonlyMap<string, { readonly record: PeerRecord; readonly order: number }>;
  readonly nonces: ReadonlyMap<string, readonly [key: string, consumed: boolean]>;
  readonly held: ReadonlySet<ObjectId>;
  readonly ids: ReadonlyMap<string, string>;
}

/** What a caller will ask for: pages holding these are read (and checked) up front. */
export interface CheckpointTouch {
  readonly keys?: Iterable<string>;
  readonly nonces?: Iterable<string>;
  readonly ids?: Iterable<ObjectId>;
  readonly peerIds?: Iterable<string>;
}

// The file stays open while its pages may be read (a compaction by another process replaces the file, not
// the pages this root points at); it is closed when the reader is collected, or by close().
const openFiles = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

const ROOT_END = /,"at":(\d+)\}\n$/;

function readAt(fd: number, offset: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, bytes, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? bytes : bytes.subarray(0, done);
}

function damaged(file: string): EnvSyncError {
  rmSync(file, { force: true });
  return new EnvSyncError(
    'E_CHECKPOINT_DAMAGED',
    `.env-sync/members-checkpoint was damaged (a page fails its checks); it is a cache and was removed: run the command again and it is rebuilt from the chain`,
  );
}

export class CheckpointPages implements RegistrySource, HeldIds {
  readonly root: RootRecord;
  /** The file's size and inode when the root was read: an append is safe only onto that same file. */
  readonly size: number;
  readonly inode: number;
  readonly #file: string;
  #fd: number | null;
  readonly #pages = new Map<number, LoadedPage>();

  private constructor(file: string, fd: number, root: RootRecord, size: number, inode: number) {
    this.#file = file;
    this.#fd = fd;
    this.root = root;
    this.size = size;
    this.inode = inode;
    openFiles.register(this, fd, this);
  }

  /** The reader of `file`, or null when it is missing, not a checkpoint of `group`, or its root is off. */
  static open(file: string, group: ObjectId): CheckpointPages | null {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return null;
    }
    try {
      const stat = fstatSync(fd);
      const size = stat.size;
      if (!stat.isFile() || size < 32) throw new Error('not a checkpoint');
      const end = readAt(fd, size - Math.min(size, 48), Math.min(size, 48)).toString('latin1');
      const at = Number(ROOT_END.exec(end)?.[1] ?? Number.NaN);
      if (!(at >= 0 && at < size)) throw new Error('no root');
      const root = parseLine(readAt(fd, at, size - at));
      if (!isRoot(root, group, at)) throw new Error('not a root');
      return new CheckpointPages(file, fd, root, size, stat.ino);
    } catch {
      closeSync(fd);
      return null;
    }
  }

  close(): void {
    if (this.#fd === null) return;
    openFiles.unregister(this);
    closeSync(this.#fd);
    this.#fd = null;
  }

  get buckets(): number {
    return this.root.pages.length;
  }

  get admins(): number {
    return this.root.admins;
  }

  /** The page of `bucket`, read and checked on first use; a page that fails its checks throws. */
  page(bucket: number): LoadedPage {
    const cached = this.#pages.get(bucket);
    if (cached !== undefined) return cached;
    const [offset, length, sum] = this.root.pages[bucket]!;
    let record: unknown = null;
    if (this.#fd !== null) {
      try {
        record = parseLine(readAt(this.#fd, offset, length), sum);
      } catch {
        record = null;
      }
    }
    if (!isPage(record, bucket, this.buckets)) throw damaged(this.#file);
    const page: LoadedPage = {
      record,
      peers: new Map(record.peers.map((peer) => [peer.key, { record: peerRecord(peer), order: peer.order }])),
      nonces: new Map(record.nonces.map(([nonce, key, consumed]) => [nonce, [key, consumed]])),
      held: new Set(record.held),
      ids: new Map(record.ids),
    };
    this.#pages.set(bucket, page);
    return page;
  }

  #at(key: string): LoadedPage {
    return this.page(bucketOf(key, this.buckets));
  }

  /** Reads the pages `touch` needs now (or every page), so that a damaged one is found here. */
  touch(touch: CheckpointTouch | 'all'): void {
    if (touch === 'all') {
      for (let bucket = 0; bucket < this.buckets; bucket++) this.page(bucket);
      return;
    }
    for (const keys of [touch.keys, touch.nonces, touch.ids, touch.peerIds]) {
      for (const key of keys ?? []) this.#at(key);
    }
  }

  peer(key: string): PeerRecord | undefined {
    return this.#at(key).peers.get(key)?.record;
  }

  /** Where the peer with `key` stands in the order peers first appeared; undefined if it is not here. */
  order(key: string): number | undefined {
    return this.#at(key).peers.get(key)?.order;
  }

  nonce(nonce: string): readonly [key: string, consumed: boolean] | undefined {
    return this.#at(nonce).nonces.get(nonce);
  }

  keyOf(peerId: string): string | undefined {
    return this.#at(peerId).ids.get(peerId);
  }

  has(id: ObjectId): boolean {
    return this.#at(id).held.has(id);
  }

  #all(): LoadedPage[] {
    this.touch('all');
    return [...this.#pages.values()];
  }

  values(): ObjectId[] {
    return this.#all().flatMap((page) => page.record.held);
  }

  peers(): PeerRecord[] {
    const all = this.#all().flatMap((page) => [...page.peers.values()]);
    return all.sort((a, b) => a.order - b.order).map(({ record }) => record);
  }

  nonces(): StoredNonce[] {
    return this.#all().flatMap((page) => page.record.nonces);
  }
}
