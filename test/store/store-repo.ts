// A fresh repository (dev-plaintext-http, so plain snapshots are allowed) in a tap test dir, for API tests.

import type { Test } from 'tap';
import type { ObjectId } from '../../src/store/object-id.ts';
import { plainSnapshot } from '../../src/store/objects.ts';
import { initRepository, type Repository } from '../../src/store/repository.ts';

export async function makeStoreRepo(t: Test): Promise<Repository> {
  return initRepository(t.testdir(), { mode: 'dev-plaintext-http' });
}

/** Writes a snapshot and a commit on it; returns the commit id. */
export async function writeCommit(
  repo: Repository,
  parents: readonly ObjectId[] = [],
  message = 'commit',
): Promise<ObjectId> {
  const snapshot = await repo.objects.write(plainSnapshot([['KEY', message]]));
  return repo.objects.write({
    type: 'commit',
    snapshot,
    parents,
    author: 'peer-test',
    time: 1_700_000_000,
    message,
    members: null,
    signature: new Uint8Array(0),
  });
}

export const BY_TEST = { peer: 'peer-test', reason: 'test' } as const;
