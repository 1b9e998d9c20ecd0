// The fork rule (docs/membership.md#fork-rule): which child of a parent the chain follows. More distinct
// signers on the child's best branch wins, then a branch holding a revocation, then the lowest event id.

import type { ObjectId } from '../store/object-id.ts';
import type { HeldEvent } from './event-format.ts';
import { hex } from './registry.ts';

export interface TreeView {
  get(id: ObjectId): HeldEvent | undefined;
  children(id: ObjectId): readonly ObjectId[];
}

interface Branch {
  readonly first: ObjectId;
  readonly path: readonly ObjectId[];
  readonly signers: number;
  readonly revokes: boolean;
}

/**
 * The canonical path from `from` down to a leaf: single children are followed; at a fork every child's best
 * branch is computed (recursively) and the rule picks one. A pure function of the set of held events.
 */
export function bestPath(tree: TreeView, from: ObjectId): ObjectId[] {
  const path = [from];
  let current = from;
  for (;;) {
    const kids = tree.children(current);
    if (kids.length === 0) return path;
    if (kids.length === 1) {
      current = kids[0]!;
      path.push(current);
      continue;
    }
    let best: Branch | null = null;
    for (const kid of kids) {
      const branch = describeBranch(tree, kid, bestPath(tree, kid));
      if (best === null || beats(branch, best)) best = branch;
    }
    for (const id of best!.path) path.push(id);
    return path;
  }
}

function describeBranch(tree: TreeView, first: ObjectId, path: readonly ObjectId[]): Branch {
  const signers = new Set<string>();
  let revokes = false;
  for (const id of path) {
    const held = tree.get(id)!;
    signers.add(hex(held.event.actor));
    if (held.body.kind === 'revoke') revokes = true;
  }
  return { first, path, signers: signers.size, revokes };
}

/** True when branch `a` wins over branch `b` (siblings). Never looks at clocks. */
export function beats(a: Branch, b: Branch): boolean {
  if (a.signers !== b.signers) return a.signers > b.signers;
  if (a.revokes !== b.revokes) return a.revokes;
  return a.first < b.first;
}
