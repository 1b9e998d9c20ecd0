// What fsck adds for encrypted repositories: in secure-peer every snapshot must be an age snapshot; with
// trusted-owner-ssh encryption on, the snapshot at each environment's head must be.

import type { FsckProblem, ObjectRule } from '../store/fsck.ts';
import type { Repository } from '../store/repository.ts';

export const everySnapshotEncrypted: ObjectRule = (_id, object) =>
  object.type === 'snapshot' && object.encoding === 'plain'
    ? 'snapshot is stored in plaintext, but secure-peer encrypts every snapshot'
    : null;

export async function plaintextHeads(repo: Repository): Promise<FsckProblem[]> {
  const problems: FsckProblem[] = [];
  for (const ref of await repo.refs.list('refs/heads/')) {
    try {
      const commit = await repo.objects.readTyped(ref.id, 'commit');
      const snapshot = await repo.objects.readTyped(commit.snapshot, 'snapshot');
      if (snapshot.encoding === 'plain') {
        problems.push({
          severity: 'error',
          subject: `ref ${ref.name}`,
          message:
            "head snapshot is in plaintext but core.encrypt is true; run 'env-sync config set encrypt true' again",
        });
      }
    } catch {
      // Missing or corrupt objects are reported by fsck's own checks.
    }
  }
  return problems;
}
