// Renaming this machine's identity: only identity.json's `name` changes (atomically, 0600); the keys, and so
// the peer id, stay. Each group learns the new name from a signed `rename` event (docs/membership.md).

import type { Identity } from './identity.ts';
import { encodeIdentityMetadata } from './identity-metadata.ts';
import { writePrivateFileAtomic } from './private-files.ts';

/** Rewrites `identity`'s identity.json with `name` (already validated). */
export async function renameIdentity(identity: Identity, name: string): Promise<void> {
  await writePrivateFileAtomic(
    identity.files.metadata,
    encodeIdentityMetadata({
      version: 1,
      name,
      createdAt: identity.createdAt,
      peerId: identity.peerId,
      signingPublicKey: Buffer.from(identity.signingPublicKey).toString('hex'),
      ageRecipient: identity.ageRecipient,
      certificateFingerprint: identity.certificateFingerprint,
    }),
  );
}
