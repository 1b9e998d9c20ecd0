import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { hashObjectBytes, type ObjectId } from '../../src/store/object-id.ts';
import { encodeObject, plainSnapshot } from '../../src/store/objects.ts';
import { openRepository } from '../../src/store/repository.ts';
import { type CliRepo, expectRefused, makeCliRepo } from '../store/cli-repo.ts';
import { sampleEvent } from '../store/sample-objects.ts';

const home = path.join(t.testdir(), 'home');
const ZERO = '0'.repeat(64);

/** A CLI repository plus a chain of commits c0 ← c1 ← c2 (and a side commit merged into c2), written via the API. */
async function repoWithCommits(t: Test) {
  const repo = await makeCliRepo(t, home);
  const store = await openRepository(repo.cwd);
  const snapshot = await store.objects.write(plainSnapshot([['KEY', 'value']]));
  const commit = (parents: ObjectId[], message: string) =>
    store.objects.write({
      type: 'commit',
      snapshot,
      parents,
      author: 'p',
      time: 1_700_000_000,
      message,
      members: null,
      signature: new Uint8Array(0),
    });
  const c0 = await commit([], 'c0');
  const side = await commit([c0], 'side');
  const c1 = await commit([c0], 'c1');
  const c2 = await commit([c1, side], 'c2');
  const event = await store.objects.write(sampleEvent({ group: null, prev: null, seq: 0 }));
  return { repo, store, snapshot, c0, c1, c2, side, event };
}

function reflog(repo: CliRepo, ref: string): string[] {
  const file = path.join(repo.dir, 'logs', ref);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(0, -1) : [];
}

t.test('update-ref creates and moves refs, logging old, new, peer, time and reason', async (t) => {
  const { repo, c0, c1 } = await repoWithCommits(t);
  t.equal(await repo.ok(t, ['update-ref', '-m', 'first commit', 'refs/heads/main', c0]), '');
  t.equal(await repo.ok(t, ['update-ref', 'HEAD', c1, c0]), '', 'HEAD moves the branch it points to');
  t.equal(readFileSync(path.join(repo.dir, 'refs/heads/main'), 'utf8'), `${c1}\n`);
  const log = reflog(repo, 'refs/heads/main');
  t.equal(log.length, 2);
  t.match(log[0], new RegExp(`^${ZERO} ${c0} \\S+ \\d+\tfirst commit$`));
  t.match(log[1], new RegExp(`^${c0} ${c1} \\S+ \\d+\tupdate-ref$`));
});

t.test('update-ref with a stale <old> fails and changes nothing', async (t) => {
  const { repo, c0, c1, c2 } = await repoWithCommits(t);
  await repo.ok(t, ['update-ref', 'refs/heads/main', c1]);
  await expectRefused(t, repo, ['update-ref', 'refs/heads/main', c2, c0], {
    message: new RegExp(
      `^env-sync: refs/heads/main is at ${c1.slice(0, 12)}, expected it to be at ${c0.slice(0, 12)}; nothing changed\n$`,
    ),
  });
  await expectRefused(t, repo, ['update-ref', 'refs/heads/main', c2, ZERO], {
    message: /expected it not to exist/,
  });
  await expectRefused(t, repo, ['update-ref', '-d', 'refs/heads/main', c0], {
    message: /expected it to be at/,
  });
  t.equal(await repo.ok(t, ['rev-parse', 'main']), `${c1}\n`);
});

t.test('update-ref -d deletes a ref (checking <old> when given) and logs it', async (t) => {
  const { repo, c0 } = await repoWithCommits(t);
  await repo.ok(t, ['update-ref', 'refs/remotes/origin/main', c0]);
  await repo.ok(t, ['update-ref', '-d', 'refs/remotes/origin/main', c0]);
  t.notOk(existsSync(path.join(repo.dir, 'refs/remotes/origin/main')));
  t.match(reflog(repo, 'refs/remotes/origin/main').at(-1), new RegExp(`^${c0} ${ZERO} `));
  await expectRefused(t, repo, ['update-ref', '-d', 'refs/remotes/origin/main'], {
    message: /^env-sync: refs\/remotes\/origin\/main does not exist\n$/,
  });
});

t.test('update-ref refuses wrong object types, bad names, held locks and bad usage', async (t) => {
  const { repo, snapshot, c0, event } = await repoWithCommits(t);
  await expectRefused(t, repo, ['update-ref', 'refs/heads/main', snapshot], {
    message: /^env-sync: refs\/heads\/main must point at a commit, not a snapshot\n$/,
  });
  await expectRefused(t, repo, ['update-ref', 'refs/members', event], {
    message:
      /^env-sync: refs\/members holds a secure-peer membership chain; this repository is dev-plaintext-http\n$/,
  });
  for (const name of ['../config', 'refs/heads/a..b', 'refs/heads/x.lock']) {
    await expectRefused(t, repo, ['update-ref', name, c0], { message: /^env-sync: invalid ref name / });
  }
  writeFileSync(
    path.join(repo.dir, 'refs/heads/main.lock'),
    `env-sync lock pid=${process.pid} host=${hostname()} started=1700000000 token=0123abcd\n`,
    { mode: 0o600 },
  );
  await repo.run(['config', 'set', 'core.lockTimeout', '1']);
  await expectRefused(t, repo, ['update-ref', 'refs/heads/main', c0], {
    message: new RegExp(
      `^env-sync: refs/heads/main is locked by env-sync process ${process.pid} since 2023-11-14T22:13:20Z; gave up after 1 s\n$`,
    ),
  });
  await expectRefused(t, repo, ['update-ref', 'refs/heads/dev'], {
    exitCode: 2,
    message: /usage: update-ref <ref> <new> \[<old>\]/,
  });
  await expectRefused(t, repo, ['update-ref', '-d', 'refs/heads/dev', c0, c0], {
    exitCode: 2,
    message: /usage: update-ref -d/,
  });
});

t.test('update-ref moves refs/members in secure-peer, and only to an event', async (t) => {
  const repo = await makeCliRepo(t, home, 'secure-peer');
  const store = await openRepository(repo.cwd);
  const genesis = (await store.refs.read('refs/members'))!;
  const commit = await store.objects.write({
    type: 'commit',
    snapshot: genesis,
    parents: [],
    author: 'p',
    time: 1_700_000_000,
    message: 'not an event',
    members: genesis,
    signature: new Uint8Array(0),
  });
  await expectRefused(t, repo, ['update-ref', 'refs/members', commit], {
    message: /^env-sync: refs\/members must point at a event, not a commit\n$/,
  });
  await repo.ok(t, ['update-ref', '-m', 'same tip', 'refs/members', genesis]);
  t.equal(await store.refs.read('refs/members'), genesis);
});

t.test('show-ref lists refs sorted by name, as text and as JSON', async (t) => {
  const { repo, c0, c1 } = await repoWithCommits(t);
  t.equal((await repo.run(['show-ref'])).code, 1, 'no refs: exit 1, like git');
  const store = await openRepository(repo.cwd);
  const by = { peer: 'p', reason: 'test' };
  await store.refs.update('refs/heads/main', c1, by);
  await store.refs.update('refs/remotes/origin/main', c0, by);
  await store.refs.update('refs/heads/dev', c0, by);
  const [text, json] = await Promise.all([repo.ok(t, ['show-ref']), repo.ok(t, ['show-ref', '--json'])]);
  t.equal(text, `${c0} refs/heads/dev\n${c1} refs/heads/main\n${c0} refs/remotes/origin/main\n`);
  t.same(JSON.parse(json), [
    { name: 'refs/heads/dev', id: c0 },
    { name: 'refs/heads/main', id: c1 },
    { name: 'refs/remotes/origin/main', id: c0 },
  ]);
});

t.test('rev-parse prints one id per revision', async (t) => {
  const { repo, store, c0, c1, c2, side } = await repoWithCommits(t);
  await store.refs.update('refs/heads/main', c2, { peer: 'p', reason: 'test' });
  await store.refs.update('refs/remotes/origin/main', c0, { peer: 'p', reason: 'test' });
  const revisions = [
    'HEAD',
    'main',
    'refs/heads/main',
    'origin/main',
    'main~1',
    'main~2',
    'HEAD^',
    'HEAD^2',
    c1.slice(0, 4),
  ];
  t.equal(
    await repo.ok(t, ['rev-parse', ...revisions]),
    `${[c2, c2, c2, c0, c1, c0, c1, side, c1].join('\n')}\n`,
  );
  await expectRefused(t, repo, ['rev-parse', 'main', 'main~5'], {
    message: /^env-sync: 'main~5': commit [0-9a-f]{12} has no parent 1\n$/,
  });
});

t.test('rev-parse refuses an ambiguous prefix, listing the candidates', async (t) => {
  const repo = await makeCliRepo(t, home);
  const store = await openRepository(repo.cwd);
  const byPrefix = new Map<string, number>();
  let pair: [number, number] | undefined;
  for (let i = 0; pair === undefined; i++) {
    const prefix = hashObjectBytes(encodeObject(plainSnapshot([['K', String(i)]]))).slice(0, 4);
    const earlier = byPrefix.get(prefix);
    if (earlier === undefined) byPrefix.set(prefix, i);
    else pair = [earlier, i];
  }
  const ids = await Promise.all(pair.map((i) => store.objects.write(plainSnapshot([['K', String(i)]]))));
  const result = await expectRefused(t, repo, ['rev-parse', ids[0]!.slice(0, 4)], {
    message: new RegExp(`^env-sync: short id ${ids[0]!.slice(0, 4)} is ambiguous; candidates: `),
  });
  for (const id of ids) t.match(result.stderr, id.slice(0, 12));
});

t.test('two concurrent update-ref with the same <old>: exactly one wins, nothing torn', async (t) => {
  const { repo, store, c0 } = await repoWithCommits(t);
  await repo.ok(t, ['update-ref', 'refs/heads/main', c0]);
  let old = c0;
  for (let round = 0; round < 10; round++) {
    const snapshot = await store.objects.write(plainSnapshot([['ROUND', String(round)]]));
    const make = (who: string) =>
      store.objects.write({
        type: 'commit',
        snapshot,
        parents: [old],
        author: who,
        time: round,
        message: who,
        members: null,
        signature: new Uint8Array(0),
      });
    const [a, b] = [await make('a'), await make('b')];
    const results = await Promise.all(
      [a, b].map((next) => repo.run(['update-ref', 'refs/heads/main', next, old])),
    );
    const winners = results.flatMap((result, i) => (result.code === 0 ? [[a, b][i]!] : []));
    t.equal(winners.length, 1, `round ${round}: exactly one update wins`);
    const loser = results.find((result) => result.code !== 0);
    t.equal(loser?.code, 1);
    t.match(
      loser?.stderr,
      /^env-sync: refs\/heads\/main is at [0-9a-f]{12}, expected it to be at [0-9a-f]{12}; nothing changed\n$/,
    );
    const now = readFileSync(path.join(repo.dir, 'refs/heads/main'), 'utf8');
    t.equal(now, `${winners[0]}\n`, 'the ref holds the winner, whole');
    t.notOk(existsSync(path.join(repo.dir, 'refs/heads/main.lock')), 'no lock is left behind');
    t.equal(reflog(repo, 'refs/heads/main').length, round + 2, 'one reflog line per successful update');
    old = winners[0]!;
  }
  t.equal((await repo.run(['fsck'])).code, 0);
});
