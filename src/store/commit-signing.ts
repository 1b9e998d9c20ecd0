// What a commit's signature covers (docs/object-format.md#commit): the commit's canonical encoding with an
// empty signature, inside a domain-separated envelope bound to the group, so that a signature made for one
// group, or over another kind of object, never verifies as a commit of this one.

import { encodeCanonical } from './encoding.ts';
import { idToBytes, type ObjectId } from './object-id.ts';
import { type CommitObject, encodeObject } from './objects.ts';

export const UNSIGNED = new Uint8Array(0);

export function commitSigningBytes(commit: CommitObject, group: ObjectId): Uint8Array {
  return encodeCanonical([
    'env-sync-commit-signature',
    1,
    idToBytes(group),
    encodeObject({ ...commit, signature: UNSIGNED }),
  ]);
}
