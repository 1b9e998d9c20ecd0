// The membership tree: every event this peer holds (branches that lost a fork included), each validated
// against the registry at its parent when added. The canonical chain and the registry at its tip come from the
// fork rule's walk (fork-choice.ts), a pure function of the held events.

import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import type { HeldEvent } from './event-format.ts';
import { type CanonicalWalk, walkCanonical } from './fork-choice.ts';
import { Registry } from './registry.ts';
import { type CheckContext, checkEvent, describeEvent } from './rules.ts';
import { asWireEvent, type WireEvent } from './signing.ts';

export type AddOptions = Omit<CheckContext, 'group'>;

export class MemberTree {
  readonly group: ObjectId;
  readonly #genesis: HeldEvent;
  /** The registry after the genesis, never mutated: replays start from a copy of it. */
  readonly #genesisState: Registry;
  readonly #events = new Map<ObjectId, HeldEvent>();
  readonly #children = new Map<ObjectId, ObjectId[]>();
  /** The registry after each leaf along its branch, so that extending a branch does not replay it. */
  readonly #leafStates = new Map<ObjectId, Registry>();
  #walk: CanonicalWalk | null = null;

  private constructor(genesis: HeldEvent, state: Registry) {
    this.group = genesis.id;
    this.#genesis = genesis;
    this.#genesisState = state;
    this.#events.set(genesis.id, genesis);
    this.#leafStates.set(genesis.id, state.clone());
  }

  /** A tree holding only `genesis`; `expectedGroup` (the repository's group id) must be its id when given. */
  static create(
    genesis: EventObject | WireEvent,
    options: AddOptions & { expectedGroup?: ObjectId },
  ): MemberTree {
    const wire = asWireEvent(genesis);
    const { body, keys } = checkEvent(wire, null, null, { ...options, group: options.expectedGroup ?? null });
    const held = { id: wire.id, event: wire.event, body };
    const state = new Registry();
    state.apply(held, keys);
    return new MemberTree(held, state);
  }

  get genesis(): HeldEvent {
    return this.#genesis;
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
   * Validates `input` against the registry at its parent (along its own branch) and adds it. Returns null when
   * the event is already held (a no-op); throws a typed error otherwise, leaving the tree unchanged.
   */
  add(input: EventObject | WireEvent, options: AddOptions): HeldEvent | null {
    const wire = asWireEvent(input);
    const { id, event } = wire;
    if (this.has(id)) return null;
    if (event.seq === 0) {
      throw new EnvSyncError('E_EVENT_REPLAY', `${describeEvent(id, event)}: genesis of another group`);
    }
    const parent = event.prev === null ? undefined : this.#events.get(event.prev);
    if (parent === undefined) {
      throw new EnvSyncError('E_EVENT_INVALID', `${describeEvent(id, event)}: its parent event is not held`);
    }
    const owned = this.#leafStates.get(parent.id);
    const state = owned ?? this.stateAfter(parent.id);
    const checked = checkEvent(wire, parent, state, { ...options, group: this.group });
    const held: HeldEvent = { id, event, body: checked.body };
    state.apply(held, checked.keys);
    this.#leafStates.delete(parent.id);
    this.#leafStates.set(id, state);
    this.#events.set(id, held);
    const siblings = this.#children.get(parent.id);
    if (siblings === undefined) this.#children.set(parent.id, [id]);
    else siblings.push(id);
    this.#walk = null;
    return held;
  }

  /** The events from the genesis to `id`, oldest first. */
  path(id: ObjectId): HeldEvent[] {
    const path: HeldEvent[] = [];
    for (let at = this.#events.get(id); at !== undefined; ) {
      path.push(at);
      at = at.event.prev === null ? undefined : this.#events.get(at.event.prev);
    }
    return path.reverse();
  }

  /**
   * The registry after event `id` along its own branch (a fresh copy). On the canonical chain the walk's state
   * can differ from it where a fork's revocations were applied; registry() is that state at the tip.
   */
  stateAfter(id: ObjectId): Registry {
    const leaf = this.#leafStates.get(id);
    if (leaf !== undefined) return leaf.clone();
    const state = this.#genesisState.clone();
    for (const held of this.path(id).slice(1)) state.apply(held);
    return state;
  }

  #canonicalWalk(): CanonicalWalk {
    this.#walk ??= walkCanonical(this, this.#genesis, this.#genesisState);
    return this.#walk;
  }

  /** True when `id` is on the canonical chain (whose index is the seq). */
  isCanonical(id: ObjectId): boolean {
    const held = this.#events.get(id);
    return held !== undefined && this.#canonicalWalk().chain[held.event.seq]?.id === id;
  }

  /** The chain the fork rule selects, from the genesis on (a copy). */
  canonical(): readonly HeldEvent[] {
    return [...this.#canonicalWalk().chain];
  }

  tip(): HeldEvent {
    return this.#canonicalWalk().chain.at(-1)!;
  }

  /** The registry at the canonical tip, as the walk derived it. Read it; do not mutate it. */
  registry(): Registry {
    return this.#canonicalWalk().state;
  }

  /** An independent copy: adding to it leaves this tree untouched (used for all-or-nothing batches). */
  clone(): MemberTree {
    const copy = new MemberTree(this.#genesis, this.#genesisState);
    for (const [id, held] of this.#events) copy.#events.set(id, held);
    for (const [id, kids] of this.#children) copy.#children.set(id, [...kids]);
    for (const [id, state] of this.#leafStates) copy.#leafStates.set(id, state.clone());
    copy.#walk = this.#walk;
    return copy;
  }
}
