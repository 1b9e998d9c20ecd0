// The membership tree: every event this peer holds (branches that lost a fork included), each validated
// against the registry at its parent when added. The canonical chain is the fork rule's path from its root:
// the genesis, or for a tree resumed from a checkpoint (chain-checkpoint.ts) the checkpoint's tip.

import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import type { EventBody, HeldEvent } from './event-format.ts';
import { bestPath, type TreeView } from './fork-choice.ts';
import { Registry } from './registry.ts';
import { type CheckContext, checkEvent, describeEvent } from './rules.ts';
import { asWireEvent, type WireEvent } from './signing.ts';

export type AddOptions = Omit<CheckContext, 'group'>;

/** Ids of held events, possibly read on demand (a checkpoint's pages); a Set is one. */
export interface HeldIds {
  has(id: ObjectId): boolean;
  values(): Iterable<ObjectId>;
}

/** What a tree resumed at a checkpoint knows of the events before its root. */
interface ResumeHistory {
  /** Every held event up to the root (the root itself may be listed). */
  readonly before: HeldIds;
  readonly forks: readonly ObjectId[];
  readonly latest: number;
}

export class MemberTree implements TreeView {
  readonly group: ObjectId;
  /** The genesis, or the tip a checkpoint resumed from: every event here descends from it. */
  readonly #root: HeldEvent;
  /** The registry after the root, never mutated: replays start from a copy of it. */
  readonly #rootState: Registry;
  /** Ids of the events before the root (a checkpoint's history, not held in memory). */
  readonly #before: HeldIds;
  /** Tips of branches that lost a fork before the root (a resumed tree's; the genesis has none). */
  readonly #forksBefore: readonly ObjectId[];
  readonly #events = new Map<ObjectId, HeldEvent>();
  readonly #children = new Map<ObjectId, ObjectId[]>();
  /** Registry after each leaf (owned, mutated in place when the leaf gets its first child). */
  readonly #leafStates = new Map<ObjectId, Registry>();
  #canonical: HeldEvent[] | null = null;
  #resumed = false;
  /** The latest `time` of any held event (a checkpoint is unusable if "now" falls before it). */
  #latest: number;

  private constructor(
    group: ObjectId,
    root: HeldEvent,
    rootState: Registry,
    before: HeldIds,
    forksBefore: readonly ObjectId[],
    latest: number,
  ) {
    this.group = group;
    this.#forksBefore = forksBefore;
    this.#latest = Math.max(latest, root.event.time);
    this.#root = root;
    this.#rootState = rootState;
    this.#before = before;
    this.#events.set(root.id, root);
  }

  /** A tree whose only event so far is its root. */
  static #rooted(group: ObjectId, root: HeldEvent, state: Registry, history: ResumeHistory): MemberTree {
    const tree = new MemberTree(group, root, state, history.before, history.forks, history.latest);
    tree.#leafStates.set(root.id, state.clone());
    return tree;
  }

  /** A tree holding only `genesis`; `expectedGroup` (the repository's group id) must be its id when given. */
  static create(
    genesis: EventObject | WireEvent,
    options: AddOptions & { expectedGroup?: ObjectId },
  ): MemberTree {
    const wire = asWireEvent(genesis);
    const { body, keys } = checkEvent(wire, null, null, { ...options, group: options.expectedGroup ?? null });
    const { id, event } = wire;
    const held = { id, event, body };
    const state = new Registry();
    state.apply(held, keys);
    return MemberTree.#rooted(id, held, state, { before: new Set(), forks: [], latest: event.time });
  }

  /**
   * A tree resumed at `tip` (a checkpoint's): `state` is the registry there, `before` the ids of every event
   * before it, `forks` the tips of branches that lost a fork, `latest` the latest time among them. It takes
   * children of `tip` and their descendants, and the fork rule's outcome above `tip` cannot change (new events
   * only add signers and revocations to the winning branch). It knows the earlier events by id only (has,
   * leaves): path, all, canonical and stateAfter cover `tip` and after, so callers that need history, or
   * events forking before `tip`, load the whole chain.
   */
  static resume(group: ObjectId, tip: HeldEvent, state: Registry, history: ResumeHistory): MemberTree {
    const tree = MemberTree.#rooted(group, tip, state, history);
    tree.#resumed = true;
    return tree;
  }

  /** What the tree knows of the events up to its root (a resumed tree's checkpoint pages; else empty). */
  get heldBefore(): HeldIds {
    return this.#before;
  }

  get latest(): number {
    return this.#latest;
  }

  /** The checkpoint tip this tree was resumed at (resume), or null for a tree built from the genesis. */
  get resumedAt(): ObjectId | null {
    return this.#resumed ? this.#root.id : null;
  }

  /** Ids of the held events added after the root, in the order added. */
  addedIds(): ObjectId[] {
    return [...this.#events.keys()].filter((id) => id !== this.#root.id);
  }

  /** The genesis; only for a tree built from it (create). */
  get genesis(): HeldEvent {
    return this.#events.get(this.group)!;
  }

  /** Ids of every held event, those before the root included. */
  heldIds(): ObjectId[] {
    const before = [...this.#before.values()].filter((id) => !this.#events.has(id));
    return [...before, ...this.#events.keys()];
  }

  get size(): number {
    return this.#events.size;
  }

  has(id: ObjectId): boolean {
    return this.#events.has(id) || this.#before.has(id);
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
    return [...this.#forksBefore, ...[...this.#events.keys()].filter((id) => !this.#children.has(id))];
  }

  /**
   * Validates `event` against the registry at its parent and adds it. Returns null when the event is already
   * held (a no-op); throws a typed error otherwise, leaving the tree unchanged. `body` is the event's parsed
   * body when the caller has it.
   */
  add(input: EventObject | WireEvent, options: AddOptions, body?: EventBody): HeldEvent | null {
    const wire = asWireEvent(input);
    const { id, event } = wire;
    if (this.has(id)) return null;
    if (event.seq === 0) {
      throw new EnvSyncError('E_EVENT_REPLAY', `${describeEvent(id, event)}: genesis of another group`);
    }
    const parent = event.prev === null ? undefined : this.#events.get(event.prev);
    if (parent === undefined && event.prev !== null && this.#before.has(event.prev)) {
      throw new Error(
        `${describeEvent(id, event)} forks before the root of a resumed tree (load the whole chain)`,
      );
    }
    if (parent === undefined) {
      throw new EnvSyncError('E_EVENT_INVALID', `${describeEvent(id, event)}: its parent event is not held`);
    }
    const owned = this.#leafStates.get(parent.id);
    const state = owned ?? this.stateAfter(parent.id);
    const checked = checkEvent(wire, parent, state, { ...options, group: this.group }, body);
    const held: HeldEvent = { id, event, body: checked.body };
    // The parent's own state is reused only while the parent is a leaf: a second child gets a replayed copy.
    if (owned !== undefined) this.#leafStates.delete(parent.id);
    state.apply(held, checked.keys);
    this.#leafStates.set(id, state);
    this.#events.set(id, held);
    this.#latest = Math.max(this.#latest, event.time);
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

  /** The events from the root (the genesis) to `id`, oldest first. */
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
    const state = this.#rootState.clone();
    for (const held of this.path(id).slice(1)) state.apply(held);
    return state;
  }

  /** True when `id` is on the canonical chain (whose index is the seq). */
  isCanonical(id: ObjectId): boolean {
    const held = this.#events.get(id);
    if (held === undefined) return false;
    return this.#canonicalPath()[held.event.seq - this.#root.event.seq]?.id === id;
  }

  #canonicalPath(): HeldEvent[] {
    this.#canonical ??= bestPath(this, this.#root.id).map((id) => this.#events.get(id)!);
    return this.#canonical;
  }

  /** The chain the fork rule selects, from the root (the genesis) on (a copy). */
  canonical(): readonly HeldEvent[] {
    return [...this.#canonicalPath()];
  }

  tip(): HeldEvent {
    return this.#canonicalPath().at(-1)!;
  }

  /** The registry at the canonical tip. Read it; do not mutate it. */
  registry(): Registry {
    return this.#leafStates.get(this.tip().id) ?? this.stateAfter(this.tip().id);
  }

  /** An independent copy: adding to it leaves this tree untouched (used for all-or-nothing batches). */
  clone(): MemberTree {
    const copy = new MemberTree(
      this.group,
      this.#root,
      this.#rootState,
      this.#before,
      this.#forksBefore,
      this.#latest,
    );
    for (const [id, held] of this.#events) copy.#events.set(id, held);
    for (const [id, kids] of this.#children) copy.#children.set(id, [...kids]);
    for (const [id, state] of this.#leafStates) copy.#leafStates.set(id, state.clone());
    copy.#canonical = this.#canonical === null ? null : [...this.#canonical];
    copy.#resumed = this.#resumed;
    return copy;
  }
}
