import t from 'tap';
import type { ObjectId } from '../../src/store/object-id.ts';
import { encodeObject, plainSnapshot } from '../../src/store/objects.ts';
import { openRepository } from '../../src/store/repository.ts';
import { initPeer, peer, serve } from './helpers.ts';

const KEYS = 1000;
const COMMITS = 500;

/** 500 commits over a 1,000-key environment, one key changing per commit, written in one durable batch. */
async function buildHistory(dir: string): Promise<ObjectId> {
  const repo = await openRepository(dir);
  const entries = new Map<string, string>();
  for (let k = 0; k < KEYS; k++) entries.set(`KEY_${String(k).padStart(4, '0')}`, `value-${k}-0`);
  const written: ObjectId[] = [];
  let parent: ObjectId | null = null;
  for (let c = 0; c < COMMITS; c++) {
    const k = (c * 7) % KEYS;
    entries.set(`KEY_${String(k).padStart(4, '0')}`, `value-${k}-${c + 1}`);
    const snapshot = (
      await repo.objects.writeRaw(encodeObject(plainSnapshot(entries)), undefined, { durable: false })
    ).id;
    const commit: ObjectId = (
      await repo.objects.writeRaw(
        encodeObject({
          type: 'commit',
          snapshot,
          parents: parent === null ? [] : [parent],
          author: 'peer-a',
          time: 1_700_000_000 + c,
          message: `change ${k}`,
          members: null,
        }),
        undefined,
        { durable: false },
      )
    ).id;
    written.push(snapshot, commit);
    parent = commit;
  }
  await repo.objects.syncObjects(written);
  await repo.refs.update('refs/heads/main', parent!, { peer: 'peer-a', reason: 'history', expected: null });
  return parent!;
}

t.test(
  'incremental fetch in a 1,000-key, 500-commit environment moves exactly the new objects',
  async (t) => {
    const root = t.testdir();
    const alice = await initPeer(root, 'alice');
    const tip = await buildHistory(alice.dir);
    const bob = peer(root, 'bob');
    const clone = await bob.ok(t, ['clone', alice.dir, bob.dir]);
    t.match(
      clone.stdout,
      new RegExp(`; ${COMMITS * 2} objects`),
      'the clone receives every commit and snapshot',
    );
    t.equal(await bob.ref('refs/heads/main'), tip);

    const server = await serve(t, alice);
    await bob.ok(t, ['remote', 'add', 'http', server.url]);
    const first = await bob.ok(t, ['fetch', 'http']);
    t.match(first.stdout, /^main: \(new\) [0-9a-f]{12}\n$/, 'a new remote gets its tracking ref');
    t.match(first.stderr, /http: 0 objects/, 'but no object travels: bob has them all');
    await alice.commit({ KEY_0042: 'changed' });
    const fetched = await bob.ok(t, ['fetch', 'http']);
    t.match(fetched.stdout, /^main: [0-9a-f]{12}\.\.[0-9a-f]{12}\n$/);
    const count = /http: (\d+) objects, (\d+) bytes received/.exec(fetched.stderr);
    t.equal(Number(count?.[1]), 2, 'exactly one commit and one snapshot travel');
    t.ok(Number(count?.[2]) < 1500, `the wire carries little more than the change (${count?.[2]} bytes)`);
    await bob.ok(t, ['merge', 'http/main']);
    t.equal((await bob.entries()).KEY_0042, 'changed');
  },
);
