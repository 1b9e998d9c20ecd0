// How an environment's key → value map becomes a snapshot object and back. The plain codec stores values
// as they are; the age codec (crypto) seals them into one age file. Callers never branch on the encoding.

import { EnvSyncError } from '../errors.ts';
import { plainSnapshot, type SnapshotObject } from '../store/objects.ts';

export type Entries = ReadonlyMap<string, string>;

export interface SnapshotCodec {
  /** Builds the snapshot object that stores `entries`. */
  seal(entries: Entries): Promise<SnapshotObject>;
  /** Reads the values back; `what` names the snapshot in errors. */
  open(snapshot: SnapshotObject, what: string): Promise<Entries>;
}

export const plainCodec: SnapshotCodec = {
  async seal(entries) {
    return plainSnapshot(entries);
  },
  async open(snapshot, what) {
    if (snapshot.encoding === 'plain') return snapshot.entries;
    throw new EnvSyncError(
      'E_DECRYPT',
      `${what} is encrypted and this repository has no identity to open it`,
    );
  },
};
