// Reading snapshots as key → value maps, whatever their encoding.

import type { SnapshotObject } from '../store/objects.ts';

export function snapshotKeys(snapshot: SnapshotObject): readonly string[] {
  return snapshot.encoding === 'plain' ? [...snapshot.entries.keys()] : snapshot.keys;
}
