// Crash-safety helper (not a test): loops forever writing objects and moving refs in the repository at
// argv[2] through the store API, the way porcelain and sync do, until it is killed. Prints "ready" once the
// repository is open. test/store/crash-safety.test.ts SIGKILLs it at random points after that. The repository
// is dev-plaintext-http, which has no membership chain: refs/members would claim it was created secure-peer.

import { randomBytes } from 'node:crypto';
import type { ObjectId } from '../../src/store/object-id.ts';
import { plainSnapshot } from '../../src/store/objects.ts';
import { openRepository } from '../../src/store/repository.ts';

const repo = await openRepository(process.argv[2]!);
process.stdout.write('ready\n');
const by = (reason: string, expected: ObjectId | null) => ({ peer: 'crash-writer', reason, expected });

for (let round = 0; ; round++) {
  const batch = round % 2 === 1;
  const entries = Array.from(
    { length: 1 + (round % 5) },
    (_, i) => [`KEY_${i}`, randomBytes(8).toString('hex')] as const,
  );
  const main = await repo.refs.read('refs/heads/main');
  const snapshot = await repo.objects.write(plainSnapshot(entries), { durable: !batch });
  const commit = await repo.objects.write(
    {
      type: 'commit',
      snapshot,
      parents: main === null ? [] : [main],
      author: 'crash-writer',
      time: Math.floor(Date.now() / 1000),
      message: `round ${round}`,
      members: null,
      signature: new Uint8Array(0),
    },
    { durable: !batch },
  );
  // A batch is made durable once, before the ref that reaches it moves (what sync does).
  if (batch) await repo.objects.syncObjects([snapshot, commit]);
  await repo.refs.update('refs/heads/main', commit, by('commit', main));

  if (round % 4 === 0) {
    const remote = await repo.refs.read('refs/remotes/origin/main');
    await repo.refs.update('refs/remotes/origin/main', commit, by('fetch', remote));
  }
  if (round % 5 === 0) {
    const scratch = await repo.refs.read('refs/heads/scratch');
    if (scratch === null) await repo.refs.update('refs/heads/scratch', commit, by('create', null));
    else await repo.refs.delete('refs/heads/scratch', by('delete', scratch));
  }
}
