// The reader role and CI credentials end to end: a peer approved as a reader fetches and reads, and every
// path refuses what it writes (its own commands, a server, every receiver); `identity export-ci` gives a CI
// job a one-line credential that reads from a bundle with no identity directory, and a revocation cuts it off.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { commitSigningBytes, UNSIGNED } from '../../src/store/commit-signing.ts';
import type { CommitObject } from '../../src/store/objects.ts';
import { MEMBERS_REF } from '../../src/store/ref-names.ts';
import { openRepository } from '../../src/store/repository.ts';
import { runCli } from '../helpers/cli.ts';
import { invite, joinWith, type SecurePeer, securePeer, servedGroup } from '../transport/mtls-helpers.ts';

const SECRET = 'ci-secret-5Tq9-never-printed';

/** A commit by `peer` on top of its origin/main, signed with its own key, past the CLI's refusal: its main. */
async function commitAsIfAllowed(peer: SecurePeer): Promise<string> {
  const repo = await openRepository(peer.dir);
  const base = (await repo.refs.read('refs/remotes/origin/main'))!;
  const head = await repo.refs.read('refs/heads/main');
  const parent = await repo.objects.readTyped(base, 'commit');
  const key = SigningKey.fromPkcs8Pem(readFileSync(path.join(peer.home, 'signing.key'), 'utf8'))!;
  const { peerIdFromPublicKey } = await import('../../src/crypto/peer-id.ts');
  const unsigned: CommitObject = {
    type: 'commit',
    snapshot: parent.snapshot,
    parents: [base],
    message: 'Set API_KEY',
    author: peerIdFromPublicKey(key.publicKey),
    time: Math.floor(Date.now() / 1000),
    members: await repo.refs.read(MEMBERS_REF),
    signature: UNSIGNED,
  };
  const id = await repo.objects.write({
    ...unsigned,
    signature: key.sign(commitSigningBytes(unsigned, repo.group)),
  });
  await repo.refs.update('refs/heads/main', id, { peer: 'test', reason: 'forged', expected: head });
  return id;
}

/** Runs the CLI as a CI job: no identity directory (ENV_SYNC_HOME names none), the credential in the env. */
function asCi(root: string, credential: string) {
  const home = path.join(root, 'no-identity-here');
  return {
    home,
    run: (args: string[], cwd = root, extra: Record<string, string> = {}) =>
      runCli(args, { cwd, home, env: { ENV_SYNC_IDENTITY: credential, ...extra } }),
  };
}

t.test(
  'a CI reader reads through ENV_SYNC_IDENTITY and is refused on commit, push and approve; a revoked reader is refused',
  async (t) => {
    const { root, alice, served } = await servedGroup(t, { API_KEY: SECRET });
    const ci = await joinWith(
      t,
      root,
      'ci',
      await invite(t, alice, served, ['--approve', '--role', 'reader']),
    );
    t.match((await alice.ok(t, ['peer', 'list'])).stdout, new RegExp(`${ci.peerId}.*approved\\s+reader`));
    t.equal((await ci.peer.ok(t, ['get', 'API_KEY'])).stdout, `${SECRET}\n`, 'a reader reads');

    const before = (await ci.peer.ok(t, ['show-ref'])).stdout;
    const set = await ci.peer.cli(['set', 'OTHER'], 'x');
    t.equal(set.code, 1);
    t.match(
      set.stderr,
      /^env-sync: this peer \(\S+\) is a reader: it can fetch and read values, not commit\n$/,
    );
    const push = await ci.peer.cli(['push', 'origin']);
    t.equal(push.code, 1);
    t.match(push.stderr, /is a reader: it can fetch and read values, not push/);
    await securePeer(root, 'dave').ok(
      t,
      ['peer', 'request', '-o', path.join(root, 'x.req')],
      undefined,
      alice.dir,
    );
    const approve = await ci.peer.cli(['peer', 'approve', path.join(root, 'x.req')]);
    t.equal(approve.code, 1);
    t.match(approve.stderr, /is a reader: it can fetch and read values, not approve peers/);
    t.equal((await ci.peer.ok(t, ['show-ref'])).stdout, before, 'no ref moved');

    const admin = await alice.cli(['identity', 'export-ci']);
    t.equal(admin.code, 1, 'an admin gets no CI credential');
    t.match(
      admin.stderr,
      /is an approved admin of this group, not a reader: a CI credential is made only for a reader/,
    );
    const credential = (await ci.peer.ok(t, ['identity', 'export-ci'])).stdout.trim();
    t.match(credential, /^env-sync-ci-1:[0-9a-f]{64}:[0-9a-f]{64}:AGE-SECRET-KEY-1[0-9A-Z]+$/);
    t.notMatch(credential, /PRIVATE KEY/, 'no signing or TLS key in it');

    await alice.ok(t, ['bundle', 'create', path.join(root, 'project.bundle')]);
    const job = asCi(root, credential);
    const outputs: string[] = [];
    const read = async (args: string[], cwd?: string, extra?: Record<string, string>) => {
      const result = await job.run(args, cwd, extra);
      outputs.push(result.stdout, result.stderr);
      return result;
    };
    const cloned = await read(['clone', path.join(root, 'project.bundle'), 'app']);
    t.equal(cloned.code, 0, cloned.stderr);
    const app = path.join(path.dirname(job.home), 'app');
    t.equal((await read(['get', 'API_KEY'], app)).stdout, `${SECRET}\n`);
    t.match((await read(['export', '--format', 'shell'], app)).stdout, new RegExp(SECRET));
    const env = await read(['run', '--', 'env'], app, { ENV_SYNC_DEBUG: '1' });
    t.match(env.stdout, new RegExp(`^API_KEY=${SECRET}$`, 'm'), 'run passes the values');
    t.notMatch(env.stdout, /^ENV_SYNC_IDENTITY=/m, 'and not the credential');
    const commit = await read(['unset', 'API_KEY'], app, { ENV_SYNC_DEBUG: '1' });
    t.equal(commit.code, 1, 'the credential cannot commit');
    t.match(commit.stderr, /is a reader: it can fetch and read values, not commit/);
    const signing = await read(['peer', 'request', '-o', 'r.req'], app);
    t.equal(signing.code, 1, 'nor sign');
    t.match(signing.stderr, /ENV_SYNC_IDENTITY holds a CI reader's credential, which only reads values/);
    const damaged = await read(['get', 'API_KEY'], app, {
      ENV_SYNC_IDENTITY: `${credential}:x`,
      ENV_SYNC_DEBUG: '1',
    });
    t.equal(damaged.code, 1);
    t.match(damaged.stderr, /^env-sync: ENV_SYNC_IDENTITY does not hold an env-sync CI credential/);
    t.notOk(existsSync(job.home), 'no identity directory was made');
    const secretPart = credential.slice(credential.lastIndexOf(':') + 1);
    for (const text of outputs) t.notOk(text.includes(secretPart), 'the credential is in no output or error');

    await alice.ok(t, ['peer', 'revoke', ci.peerId]);
    await alice.ok(t, ['bundle', 'create', path.join(root, 'after.bundle')]);
    t.equal((await read(['remote', 'add', 'after', path.join(root, 'after.bundle')], app)).code, 0);
    t.equal((await read(['fetch', 'after'], app)).code, 0);
    t.equal((await read(['merge', 'after/main'], app)).code, 1);
    const revoked = await read(['get', 'API_KEY'], app);
    t.equal(revoked.code, 1, 'a revoked reader is refused');
    t.match(revoked.stderr, /^env-sync: the CI credential's peer \S+ \(\S+\) was revoked\n$/);
    const fresh = await read(['clone', path.join(root, 'after.bundle'), 'again']);
    t.equal(fresh.code, 0);
    const again = await read(['get', 'API_KEY'], path.join(path.dirname(job.home), 'again'));
    t.equal(again.code, 1);
    t.match(again.stderr, /^env-sync: the CI credential's peer \S+ \(\S+\) was revoked\n$/);
    for (const text of outputs) t.notOk(text.includes(secretPart));
  },
);

t.test('a server refuses a reader’s push, and every receiver refuses a commit a reader signed', async (t) => {
  const { root, alice, served } = await servedGroup(t, { API_KEY: SECRET });
  const ci = await joinWith(t, root, 'ci', await invite(t, alice, served));
  // Approved as a reader while the peer has not fetched it: its own commands still think it pending.
  await alice.ok(t, ['peer', 'approve', ci.peerId, '--role', 'reader']);
  await ci.peer.ok(t, ['set', 'MINE'], 'x');
  const push = await ci.peer.cli(['push', 'origin']);
  t.equal(push.code, 1);
  t.match(push.stderr, /remote 'origin': this peer is a reader: it may fetch, not push/);

  await ci.peer.ok(t, ['fetch']);
  const forged = await commitAsIfAllowed(ci.peer);
  await alice.ok(t, ['remote', 'add', 'ci', ci.peer.dir]);
  const fetched = await alice.cli(['fetch', 'ci']);
  t.equal(fetched.code, 1);
  t.match(
    fetched.stderr,
    new RegExp(
      `commit ${forged.slice(0, 12)}: its author ${ci.peerId} is a reader, and a reader authors no commit`,
    ),
  );
});
