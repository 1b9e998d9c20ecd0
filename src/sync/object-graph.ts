// What history walks need of an object: its type and the ids it refers to. An object never changes (its id is
// the hash of its bytes), so these are kept per object database for as long as it is open: a server that
// serves many fetches from one Repository walks the same history without reading it again.

import { EnvSyncError } from '../errors.ts';
import type { ObjectDatabase } from '../store/object-database.ts';
import { type ObjectId, shortId } from '../store/object-id.ts';
import type { ObjectType } from '../store/objects.ts';
import type { Reference } from '../store/references.ts';
import { checkObject } from './object-check.ts';

export interface GraphNode {
  readonly type: ObjectType;
  readonly refs: readonly Reference[];
}

/** Nodes kept per database; past this many the cache starts over (about 300 bytes each). */
const MAX_NODES = 100_000;
const graphs = new WeakMap<ObjectDatabase, Map<ObjectId, GraphNode>>();

/**
 * The node of `id`, read (hash-checked, and checked as a receiver checks it: a commit in place, without the
 * decoder's cost of a tenth of a millisecond each) on first use. `expected`, when given, is the type the
 * referring object says it has: anything else is `E_OBJECT_TYPE`.
 */
export async function graphNode(
  objects: ObjectDatabase,
  id: ObjectId,
  expected: ObjectType | null = null,
): Promise<GraphNode> {
  let nodes = graphs.get(objects);
  if (nodes === undefined) {
    nodes = new Map();
    graphs.set(objects, nodes);
  }
  let node = nodes.get(id);
  if (node === undefined) {
    node = checkObject(await objects.readRaw(id), `object ${shortId(id)}`);
    if (nodes.size >= MAX_NODES) nodes.clear();
    nodes.set(id, node);
  }
  if (expected !== null && node.type !== expected) {
    throw new EnvSyncError(
      'E_OBJECT_TYPE',
      `object ${shortId(id)} is a ${node.type}, expected a ${expected}`,
    );
  }
  return node;
}

/** True when the database holds `id`: known from an earlier walk, or found now. */
export async function holds(objects: ObjectDatabase, id: ObjectId): Promise<boolean> {
  return graphs.get(objects)?.has(id) === true || (await objects.has(id));
}
