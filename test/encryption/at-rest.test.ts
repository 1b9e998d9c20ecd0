import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { createSession } from '../../src/cli/session.ts';
import { commitEnvironment, readEnvironment } from '../../src/model/environment.ts';
import { initRepository, openRepository, type SecurityMode } from '../../src/store/repository.ts';
import { runCli } from '../helpers/cli.ts';
import { initSecurePeerRepository } from '../helpers/secure-peer-repo.ts';

const CANARY = 'canary-Zq81-secret-value';

function haveAge(): boolean {
  return spawnSync('age', ['--version']).status === 0;
}

async function repoWithSecret(t: Test, mode: SecurityMode, extra: Record<string, string> = {}) {
  const root = t.testdir();
  const work = path.join(root, 'repo');
  const home = path.join(root, 'home');
  process.env.ENV_SYNC_HOME = home;
  if (mode === 'secure-peer') await initSecurePeerRepository(work, home);
  else await initRepository(work, { mode, extraConfig: extra });
  const session = await createSession(await openRepository(work));
  const state = await readEnvironment(session, 'main');
  const commit = await commitEnvironment(session, state, {
    entries: new Map([
      ['API_TOKEN', CANARY],
      ['MULTI', 'line one\nline "two"'],
    ]),
    message: 'Set API_TOKEN, MULTI',
  });
  return { root, work, home, session, commit };
}

t.test('secure-peer stores snapshots as age files that the stock age CLI decrypts', async (t) => {
  if (!haveAge()) {
    t.equal(process.env.CI, undefined, 'the age CLI is required under CI (run .ci/run to install it)');
    return;
  }
  const { work, home, session } = await repoWithSecret(t, 'secure-peer');
  const head = await readEnvironment(session, 'main');
  const snapshot = await session.repo.objects.readTyped(head.commit!.snapshot, 'snapshot');
  t.equal(snapshot.encoding, 'age');
  const raw = await session.repo.objects.readRaw(head.commit!.snapshot);
  t.notOk(Buffer.from(raw).includes(CANARY), 'the value is not in the stored bytes');

  const payload = await runCli(['cat-file', '--age', 'HEAD'], { cwd: work, home });
  t.equal(payload.code, 0, payload.stderr);
  t.ok(payload.stdoutBytes.subarray(0, 21).toString() === 'age-encryption.org/v1', 'a standard age file');
  const info = JSON.parse((await runCli(['identity', 'show', '--json'], { cwd: work, home })).stdout);
  const plaintext = execFileSync('age', ['-d', '-i', info.ageIdentityFile], { input: payload.stdoutBytes });
  t.ok(plaintext.includes(Buffer.from(CANARY)), 'age -d recovers the values');
  t.same(
    head.entries,
    new Map([
      ['API_TOKEN', CANARY],
      ['MULTI', 'line one\nline "two"'],
    ]),
  );

  const fsck = await runCli(['fsck'], { cwd: work, home });
  t.equal(fsck.code, 0, fsck.stdout);
});

t.test(
  'a peer that is not a member gets one clear line naming itself, the snapshot and how to join',
  async (t) => {
    const { root, work } = await repoWithSecret(t, 'secure-peer');
    const strangerHome = path.join(root, 'stranger');
    const stranger = await runCli(['identity', 'show', '--json'], { cwd: work, home: strangerHome });
    const strangerId = JSON.parse(stranger.stdout).peerId as string;
    const result = await runCli(['cat-file', '-p', 'HEAD'], { cwd: work, home: strangerHome });
    t.equal(result.code, 0, 'cat-file -p shows the commit without decrypting');
    const session = await createSession(await openRepository(work));
    process.env.ENV_SYNC_HOME = strangerHome;
    const strangerSession = await createSession(await openRepository(work));
    t.not(session.peerId, strangerSession.peerId);
    await t.rejects(readEnvironment(strangerSession, 'main'), {
      code: 'E_NOT_RECIPIENT',
      message: new RegExp(
        `you \\(${strangerId.slice(0, 13)}\\) are not a member of this group yet, so snapshot [0-9a-f]{12}`,
      ),
    });
  },
);

t.test('tampered or truncated ciphertext is refused and nothing changes', async (t) => {
  const { work, session, home } = await repoWithSecret(t, 'secure-peer');
  const head = await readEnvironment(session, 'main');
  const snapshot = await session.repo.objects.readTyped(head.commit!.snapshot, 'snapshot');
  if (snapshot.encoding !== 'age') throw new Error('expected age');
  const flipped = Buffer.from(snapshot.payload);
  flipped[flipped.length - 5]! ^= 0x01;
  const truncated = Buffer.from(snapshot.payload).subarray(0, 30);
  for (const [label, payload] of [
    ['flipped byte', flipped],
    ['truncated header', truncated],
  ] as const) {
    const forged = await session.repo.objects.write({ ...snapshot, payload });
    await t.rejects(
      session.codec.open(
        await session.repo.objects.readTyped(forged, 'snapshot'),
        `snapshot ${forged.slice(0, 12)}`,
      ),
      { code: 'E_DECRYPT' },
      label,
    );
  }
  const before = readFileSync(path.join(work, '.env-sync/refs/heads/main'), 'utf8');
  t.equal(readFileSync(path.join(work, '.env-sync/refs/heads/main'), 'utf8'), before);
  const result = await runCli(['rev-parse', 'main'], { cwd: work, home });
  t.equal(result.stdout.trim(), head.head);
});

t.test('an age identity file with mode 0644 is refused with a chmod hint', async (t) => {
  const { work, home } = await repoWithSecret(t, 'secure-peer');
  const info = JSON.parse((await runCli(['identity', 'show', '--json'], { cwd: work, home })).stdout);
  chmodSync(info.ageIdentityFile, 0o644);
  const loose = await runCli(['identity', 'show'], { cwd: work, home });
  t.not(loose.code, 0);
  t.match(loose.stderr, /^env-sync: .*0644.*chmod 600/);
  t.equal(loose.stderr.trim().split('\n').length, 1, 'one line');
  chmodSync(info.ageIdentityFile, 0o600);
  t.equal((await runCli(['identity', 'show'], { cwd: work, home })).code, 0, 'fixed by chmod 600');
});

t.test(
  'trusted-owner-ssh: plaintext by default; config set encrypt true re-seals the heads; off again is allowed',
  async (t) => {
    const { work, home, session } = await repoWithSecret(t, 'trusted-owner-ssh');
    const headBefore = await readEnvironment(session, 'main');
    t.equal(
      (await session.repo.objects.readTyped(headBefore.commit!.snapshot, 'snapshot')).encoding,
      'plain',
    );
    const on = await runCli(['config', 'set', 'encrypt', 'true'], { cwd: work, home });
    t.equal(on.code, 0, on.stderr);
    t.match(on.stdout, /^re-sealed main to 1 reader\(s\) as [0-9a-f]{12}$/m);
    const reopened = await createSession(await openRepository(work));
    const headAfter = await readEnvironment(reopened, 'main');
    t.equal((await reopened.repo.objects.readTyped(headAfter.commit!.snapshot, 'snapshot')).encoding, 'age');
    t.same(headAfter.entries, headBefore.entries, 'values unchanged');
    t.same(headAfter.commit!.parents, [headBefore.head]);
    t.equal((await runCli(['fsck'], { cwd: work, home })).code, 0);
    const off = await runCli(['config', 'set', 'encrypt', 'false'], { cwd: work, home });
    t.equal(off.code, 0, off.stderr);
  },
);

t.test(
  'secure-peer refuses to turn encryption off and refuses plaintext snapshots from hash-object -w',
  async (t) => {
    const { work, home } = await repoWithSecret(t, 'secure-peer');
    const configBefore = readFileSync(path.join(work, '.env-sync/config'));
    const off = await runCli(['config', 'set', 'encrypt', 'false'], { cwd: work, home });
    t.equal(off.code, 1);
    t.match(off.stderr, /^env-sync: secure-peer always encrypts/);
    t.same(readFileSync(path.join(work, '.env-sync/config')), configBefore, 'config unchanged');
    const plain = JSON.stringify({ type: 'snapshot', version: 1, encoding: 'plain', entries: { A: 'b' } });
    const refused = await runCli(['hash-object', '-w', '--json', '--stdin'], {
      cwd: work,
      home,
      input: plain,
    });
    t.equal(refused.code, 1);
    t.match(refused.stderr, /plaintext/);
  },
);
