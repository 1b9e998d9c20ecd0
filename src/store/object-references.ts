// The ids an object refers to, each with the type it must have: what walks, fetches and fsck follow.

import type { ObjectId } from './object-id.ts';
import type { ObjectType, StoredObject } from './objects.ts';

export interface Reference {
  readonly id: ObjectId;
  /** The type the referenced object must have. */
  readonly type: ObjectType;
}

/** Ids an object refers to, with the type each must have. */
export function referencesOf(object: StoredObject): Reference[] {
  if (object.type === 'commit') {
    const refs: Reference[] = [{ id: object.snapshot, type: 'snapshot' }];
    if (object.members !== null) refs.push({ id: object.members, type: 'event' });
    for (const parent of object.parents) refs.push({ id: parent, type: 'commit' });
    return refs;
  }
  if (object.type === 'event' && object.prev !== null) return [{ id: object.prev, type: 'event' }];
  return [];
}
