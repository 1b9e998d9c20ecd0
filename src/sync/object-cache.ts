// The stored bytes of objects a long-running server sent recently, bounded in bytes, so that a second fetch of
// the same history opens no file (loose objects cost three system calls each, most of a server's time in
// bench/fetch.mjs). An object never changes (its id is the hash of its bytes): an entry is never stale.

import type { ObjectId } from '../store/object-id.ts';

export const DEFAULT_OBJECT_CACHE_BYTES = 64 * 1024 * 1024;

export class ObjectCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<ObjectId, Uint8Array>();
  #bytes = 0;

  constructor(maxBytes = DEFAULT_OBJECT_CACHE_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** The cached bytes of `id`, now the most recently used; undefined when not cached. */
  get(id: ObjectId): Uint8Array | undefined {
    const bytes = this.#entries.get(id);
    if (bytes !== undefined) {
      this.#entries.delete(id);
      this.#entries.set(id, bytes);
    }
    return bytes;
  }

  /** Keeps `bytes` (an object of at most an eighth of the budget), dropping the least recently used. */
  add(id: ObjectId, bytes: Uint8Array): void {
    if (bytes.length > this.#maxBytes / 8 || this.#entries.has(id)) return;
    // A small Buffer may be a slice of Node's shared 8 KiB pool: keep a copy that owns its memory instead.
    this.#entries.set(id, bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes));
    this.#bytes += bytes.length;
    for (const [oldest, old] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= old.length;
    }
  }

  get bytes(): number {
    return this.#bytes;
  }
}
