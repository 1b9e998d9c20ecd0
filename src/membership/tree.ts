// The membership tree: every event this peer holds (branches that lost a fork included), each validated
// against the registry at its parent when added. The canonical chain is the fork rule's path from genesis.

import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import type { HeldEvent } from './event-format.ts';
import { bestPath, type TreeView } from './fork-choice.ts';
import { Registry } from './registry.ts';
import { type CheckContext, checkEvent, describeEvent } from './rules.ts';
import { eventId, eventIdAndSigningBytes } from './signing.ts';

export type AddOptions = Omit<CheckContext, 'group'>;

export class MemberTree implements TreeView {
  readonly group: ObjectId;
  readonly #events = new Map<ObjectId, HeldEvent>();
  readonly #children = new Map<ObjectId, ObjectId[]>();
  /** Registry after each leaf (owned, mutated in place when the leaf gets its first child). */
  readonly #leafStates = new Map<ObjectId, Registry>();
  #canonical: HeldEvent[] | null = null;

  private constructor(group: ObjectId) {
    this.group = group;
  }

  /** A tree holding only `genesis`; `expectedGroup` (the repository's group id) must be its id when given. */
  static create(genesis: EventObject, options: AddOptions & { expectedGroup?: ObjectId }): MemberTree {
    const id = eventId(genesis);
    const body = checkEvent(id, genesis, null, null, { ...options, group: options.expectedGroup ?? null });
    const tree = new MemberTree(id);
    const held = { id, event: genesis, body };
    const state = new Registry();
    state.apply(held);
    tree.#events.set(id, held);
    tree.#leafStates.set(id, state);
    return tree;
  }

  get genesis(): HeldEvent {
    return this.#events.get(this.group)!;
  }

  get size(): number {
    return this.#events.size;
  }

  has(id: ObjectId): boolean {
    return this.#events.has(id);
  }

  get(id: ObjectId): HeldEvent | undefined {
    return this.#events.get(id);
  }

  children(id: ObjectId): readonly ObjectId[] {
    return this.#children.get(id) ?? [];
  }

  /** Every held event, parents before children. */
  all(): HeldEvent[] {
    return [...this.#events.values()];
  }

  /** Events with no children: the canonical tip and the tips of branches that lost a fork. */
  leaves(): ObjectId[] {
    return [...this.#events.keys()].filter((id) => !this.#children.has(id));
  }

  /**
   * Validates `event` against the registry at its parent and adds it. Returns null when the event is already
   * held (a no-op); throws a typed error otherwise, leaving the tree unchanged.
   */
  add(event: EventObject, options: AddOptions, knownId?: ObjectId): HeldEvent | null {
    let signing: Uint8Array | undefined;
    let id = knownId;
    if (id === undefined) ({ id, signing } = eventIdAndSigningBytes(event));
    if (this.#events.has(id)) return null;
    if (event.seq === 0) {
      throw new EnvSyncError('E_EVENT_REPLAY', `${describeEvent(id, event)}: genesis of another group`);
    }
    const parent = event.prev === null ? undefined : this.#events.get(event.prev);
    if (parent === undefined) {
      throw new EnvSyncError('E_EVENT_INVALID', `${describeEvent(id, event)}: its parent event is not held`);
    }
    const owned = this.#leafStates.get(parent.id);
    const state = owned ?? this.stateAfter(parent.id);
    const body = checkEvent(id, event, parent, state, { ...options, group: this.group }, signing);
    const held: HeldEvent = { id, event, body };
    // The parent's own state is reused only while the parent is a leaf: a second child gets a replayed copy.
    if (owned !== undefined) this.#leafStates.delete(parent.id);
    state.apply(held);
    this.#leafStates.set(id, state);
    this.#events.set(id, held);
    const siblings = this.#children.get(parent.id);
    if (siblings === undefined) this.#children.set(parent.id, [id]);
    else siblings.push(id);
    // A first child of the canonical tip extends the chain; anything else may change a fork's outcome.
    if (this.#canonical !== null && siblings === undefined && this.#canonical.at(-1)!.id === parent.id) {
      this.#canonical.push(held);
    } else {
      this.#canonical = null;
    }
    return held;
  }

  /** The events from genesis to `id`, oldest first. */
  path(id: ObjectId): HeldEvent[] {
    const path: HeldEvent[] = [];
    for (let at = this.#events.get(id); at !== undefined; ) {
      path.push(at);
      at = at.event.prev === null ? undefined : this.#events.get(at.event.prev);
    }
    return path.reverse();
  }

  /** A fresh registry as it stood after event `id` (replayed; rules were checked when events were added). */
  stateAfter(id: ObjectId): Registry {
    const cached = this.#leafStates.get(id);
    if (cached !== undefined) return cached.clone();
    const state = new Registry();
    for (const held of this.path(id)) state.apply(held);
    return state;
  }

  /** True when `id` is on the canonical chain (whose index is the seq). */
  isCanonical(id: ObjectId): boolean {
    const held = this.#events.get(id);
    if (held === undefined) return false;
    this.#canonical ??= bestPath(this, this.group).map((at) => this.#events.get(at)!);
    return this.#canonical[held.event.seq]?.id === id;
  }

  /** The chain the fork rule selects, genesis first (a copy). */
  canonical(): readonly HeldEvent[] {
    this.#canonical ??= bestPath(this, this.group).map((id) => this.#events.get(id)!);
    return [...this.#canonical];
  }

  tip(): HeldEvent {
    this.#canonical ??= bestPath(this, this.group).map((id) => this.#events.get(id)!);
    return this.#canonical.at(-1)!;
  }

  /** The registry at the canonical tip. Read it; do not mutate it. */
  registry(): Registry {
    return this.#leafStates.get(this.tip().id) ?? this.stateAfter(this.tip().id);
  }

  /** An independent copy: adding to it leaves this tree untouched (used for all-or-nothing batches). */
  clone(): MemberTree {
    const copy = new MemberTree(this.group);
    for (const [id, held] of this.#events) copy.#events.set(id, held);
    for (const [id, kids] of this.#children) copy.#children.set(id, [...kids]);
    for (const [id, state] of this.#leafStates) copy.#leafStates.set(id, state.clone());
    copy.#canonical = this.#canonical === null ? null : [...this.#canonical];
    return copy;
  }
}
