// Attacks on secure-peer's commits through the real CLI: a commit written as someone else, a revoked peer's new
// commit naming a membership event from before its revocation, and an honest member building on it before it
// heard of the revocation (docs/membership.md#signed-commits).

import path from 'node:path';
import t from 'tap';
import { nowSeconds } from '../../src/clock.ts';
import { loadIdentity } from '../../src/crypto/load-identity.ts';
import { commitSigningBytes, UNSIGNED } from '../../src/store/commit-signing.ts';
import { MEMBERS_REF } from '../../src/store/ref-names.ts';
import { openRepository } from '../../src/store/repository.ts';
import { SECRET, type Who, world } from './member-world.ts';

/** A commit by `who`, properly signed, on top of `dir`'s main with its snapshot, dated `ahead` seconds from now. */
async function commitAhead(w: ReturnType<typeof world>, who: Who, dir: string, ahead: number) {
  const repo = await openRepository(path.join(w.root, dir));
  const identity = await loadIdentity(w.home(who));
  const headId = (await repo.refs.read('refs/heads/main'))!;
  const head = await repo.objects.readTyped(headId, 'commit');
  const unsigned = {
    ...head,
    parents: [headId],
    author: identity.peerId,
    time: nowSeconds() + ahead,
    message: 'Set API_KEY',
    members: await repo.refs.read(MEMBERS_REF),
    signature: UNSIGNED,
  };
  const signature = identity.signingKey.sign(commitSigningBytes(unsigned, repo.group));
  const id = await repo.objects.write({ ...unsigned, signature });
  await repo.refs.update('refs/heads/main', id, { peer: who, reason: 'test', expected: headId });
  return id;
}

/** A commit on top of `dir`'s main that reuses its snapshot, claims `author` and carries `signature` (hex). */
async function forgeCommit(w: ReturnType<typeof world>, dir: string, author: string, signature: string) {
  const head = JSON.parse(await w.ok('bob', dir, ['cat-file', '--json', 'main']));
  const headId = (await w.ok('bob', dir, ['rev-parse', 'main'])).trim();
  const forged = { ...head, parents: [headId], author, message: 'Set API_KEY', signature };
  const id = (
    await w.ok('bob', dir, ['hash-object', '-w', '--json', '--stdin'], JSON.stringify(forged))
  ).trim();
  await w.ok('bob', dir, ['update-ref', 'refs/heads/main', id, headId]);
  return id;
}

t.test('a commit written as another peer is refused by fetch and by bundle verify', async (t) => {
  const w = world(t);
  await w.found('alice', 'a');
  await w.join('bob', 'b', 'a', 'alice');
  await w.ok('bob', 'b', ['pull']);
  const alice = (await w.list('alice', 'a')).find((p: { name: string }) => p.name === 'alice').peerId;
  await w.ok('alice', 'a', ['remote', 'add', 'bob', '../b']);
  const before = w.refs('a');

  await forgeCommit(w, 'b', alice, '00'.repeat(64));
  const forged = await w.run('alice', 'a', ['fetch', 'bob']);
  t.equal(forged.code, 1);
  t.match(
    forged.stderr,
    /refused: commit [0-9a-f]{12}: its signature by .* does not verify \(forged or altered\); no branch moved/,
  );
  t.same(w.refs('a'), before, 'no ref moved');

  await w.ok('bob', 'b', ['bundle', 'create', '../forged.bundle']);
  const verified = await w.run('alice', '.', ['bundle', 'verify', 'forged.bundle']);
  t.equal(verified.code, 1, 'bundle verify refuses it too');
  t.match(verified.stderr, /does not verify/);

  await forgeCommit(w, 'b', alice, '');
  const unsigned = await w.run('alice', 'a', ['fetch', 'bob']);
  t.equal(unsigned.code, 1);
  t.match(unsigned.stderr, /is not signed by its author/);
  t.match(await w.ok('alice', 'a', ['fsck']), /^ok/m, 'the refused objects leave the repository sound');
});

t.test(
  'a revoked peer cannot add a commit, nor an honest member launder one by building on it',
  async (t) => {
    const w = world(t);
    await w.found('alice', 'a');
    await w.join('bob', 'b', 'a', 'alice');
    await w.ok('bob', 'b', ['pull']);
    await w.join('carol', 'c', 'a', 'alice');
    await w.ok('carol', 'c', ['pull']);
    await w.ok('bob', 'b', ['pull']);
    // bob's commit before the revocation reaches alice: it stays valid (the revocation pins it).
    await w.ok('bob', 'b', ['set', 'LEGIT'], 'from-bob\n');
    await w.ok('alice', 'a', ['remote', 'add', 'bob', '../b']);
    await w.ok('alice', 'a', ['fetch', 'bob']);
    await w.ok('alice', 'a', ['merge', 'bob/main']);
    const bob = (await w.list('alice', 'a')).find((p: { name: string }) => p.name === 'bob').peerId;
    await w.ok('alice', 'a', ['peer', 'revoke', bob]);

    // bob never fetches the revocation: his next commit names an event where he was still approved.
    await w.ok('bob', 'b', ['set', 'API_KEY'], 'injected-by-bob\n');
    const injected = await w.run('alice', 'a', ['fetch', 'bob']);
    t.equal(injected.code, 1);
    t.match(
      injected.stderr,
      /its author .* was revoked at event [0-9a-f]{12}, and the commit is not in the history that event accepted/,
    );
    t.equal(await w.ok('alice', 'a', ['get', 'LEGIT']), 'from-bob\n', "bob's earlier commit stays");

    // carol has not heard of the revocation: she fetches bob's commit and builds on it.
    await w.ok('carol', 'c', ['remote', 'add', 'bob', '../b']);
    await w.ok('carol', 'c', ['fetch', 'bob']);
    await w.ok('carol', 'c', ['merge', 'bob/main']);
    await w.ok('carol', 'c', ['set', 'OTHER'], 'from-carol\n');
    await w.ok('alice', 'a', ['remote', 'add', 'carol', '../c']);
    const laundered = await w.run('alice', 'a', ['fetch', 'carol']);
    t.equal(laundered.code, 1, "carol's history carries bob's commit: refused");
    t.match(laundered.stderr, /was revoked at event/);
    t.equal(await w.ok('alice', 'a', ['get', 'API_KEY']), `${SECRET}\n`);

    // Once carol hears of the revocation, fsck names the commit she accepted too early.
    await w.ok('carol', 'c', ['fetch']);
    const fsck = await w.run('carol', 'c', ['fsck']);
    t.equal(fsck.code, 1);
    t.match(
      fsck.stdout,
      /error: commit [0-9a-f]{64}: commit [0-9a-f]{12}: its author .* was revoked at event/,
    );
  },
);

t.test(
  'a held commit dated after the commits built on it is no new commit when a fetch reaches it again',
  async (t) => {
    // bob's clock runs two minutes ahead. carol took his commit through dave and built on it before alice,
    // who never saw it, revoked bob: it is in carol's history and fsck names it, but a fetch that reaches it
    // again (bob's own tip) brings nothing new and is not refused for it, although its date makes the walk
    // meet it from bob's side first.
    const w = world(t);
    await w.found('alice', 'a');
    for (const [who, dir] of [
      ['bob', 'b'],
      ['carol', 'c'],
      ['dave', 'd'],
    ] as const) {
      await w.join(who, dir, 'a', 'alice');
      await w.ok(who, dir, ['pull']);
    }
    await w.ok('bob', 'b', ['pull']);
    const ahead = await commitAhead(w, 'bob', 'b', 120);
    await w.ok('dave', 'd', ['remote', 'add', 'bob', '../b']);
    await w.ok('dave', 'd', ['fetch', 'bob']);
    await w.ok('dave', 'd', ['merge', 'bob/main']);
    await w.ok('carol', 'c', ['remote', 'add', 'dave', '../d']);
    await w.ok('carol', 'c', ['fetch', 'dave']);
    await w.ok('carol', 'c', ['merge', 'dave/main']);
    // Built on it, by clocks a minute behind: the walk meets everything else before them.
    await commitAhead(w, 'carol', 'c', -60);
    await commitAhead(w, 'dave', 'd', -60);
    await w.ok('carol', 'c', ['fetch', 'dave']);
    const bob = (await w.list('alice', 'a')).find((p: { name: string }) => p.name === 'bob').peerId;
    await w.ok('alice', 'a', ['peer', 'revoke', bob]);
    await w.ok('carol', 'c', ['fetch']);
    const fsck = await w.run('carol', 'c', ['fsck']);
    t.equal(fsck.code, 1);
    t.match(fsck.stdout, new RegExp(`error: commit ${ahead}: .* was revoked at event`));

    await w.ok('carol', 'c', ['remote', 'add', 'bob', '../b']);
    const again = await w.run('carol', 'c', ['fetch', 'bob']);
    t.equal(again.code, 0, `nothing new from bob: ${again.stderr}`);
    t.equal(
      (await w.ok('carol', 'c', ['rev-parse', 'bob/main'])).trim(),
      ahead,
      "bob's tip is tracked, as held history",
    );

    // A commit bob adds now is new, and refused as before.
    await commitAhead(w, 'bob', 'b', 0);
    const injected = await w.run('carol', 'c', ['fetch', 'bob']);
    t.equal(injected.code, 1);
    t.match(injected.stderr, /its author .* was revoked at event [0-9a-f]{12}/);
  },
);
