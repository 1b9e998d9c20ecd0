// Key lifecycle over local paths, three peers each with its own identity home and repository: a peer rotates
// its keys and the others follow by pulling; an admin revokes a peer, sets new values for what it could read,
// and `rotation status` tells what is left.

import { spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { BIN, runCli } from '../helpers/cli.ts';
import { founder, type SecurePeer, securePeer } from '../transport/mtls-helpers.ts';

/** `name` clones `from`'s repository by path and is approved by `from` with a request file. */
async function joinByPath(t: Test, root: string, from: SecurePeer, name: string): Promise<SecurePeer> {
  const p = securePeer(root, name);
  await p.ok(t, ['clone', '--name', name, from.dir, p.dir], undefined, root);
  const request = path.join(root, `${name}.req`);
  await p.ok(t, ['peer', 'request', '-o', request]);
  await from.ok(t, ['peer', 'approve', request]);
  await p.ok(t, ['pull']);
  return p;
}

async function peerIdOf(t: Test, p: SecurePeer): Promise<string> {
  return JSON.parse((await p.ok(t, ['identity', 'show', '--json'])).stdout).peerId;
}

t.test('a rotation reaches the other peers by pull, who seal to the new key from then on', async (t) => {
  const root = t.testdir();
  const alice = await founder(t, root, 'alice', { DB_URL: 'postgres://one' });
  const bob = await joinByPath(t, root, alice, 'bob');
  const carol = await joinByPath(t, root, alice, 'carol');
  const before = await peerIdOf(t, bob);
  const sealedBefore = (await bob.ok(t, ['rev-parse', 'main'])).stdout.trim();

  // Bob has not pulled since carol's approval: his rotation forks the chain, and the approval wins.
  const rotated = await bob.ok(t, ['identity', 'rotate']);
  const after = await peerIdOf(t, bob);
  t.not(after, before);
  t.match(rotated.stdout, `Rotated ${before} to ${after}`);
  t.match(rotated.stdout, /re-sealed main to 2 reader\(s\)/);
  t.notMatch(rotated.stdout, /told remote/, 'a remote reached by path is not told: it is read');
  const pulled = await bob.ok(t, ['pull']);
  t.match(
    pulled.stdout,
    /re-issued 1 event\(s\) of this peer that lost a fork/,
    'the rotation is signed again on the tip',
  );

  await alice.ok(t, ['remote', 'add', 'bob', bob.dir]);
  await alice.ok(t, ['pull', 'bob']);
  const list = JSON.parse((await alice.ok(t, ['peer', 'list', '--json'])).stdout) as {
    peerId: string;
    state: string;
    reason: string | null;
  }[];
  t.match(
    list.find((peer) => peer.peerId === before),
    { state: 'revoked', reason: `key rotated to ${after}` },
  );
  t.match(
    list.find((peer) => peer.peerId === after),
    { state: 'approved' },
  );

  await alice.ok(t, ['set', 'DB_URL'], 'postgres://two');
  await carol.ok(t, ['pull']);
  t.equal((await carol.ok(t, ['get', 'DB_URL'])).stdout, 'postgres://two\n');
  await bob.ok(t, ['pull']);
  t.equal((await bob.ok(t, ['get', 'DB_URL'])).stdout, 'postgres://two\n', 'sealed to the new age key');
  t.equal((await bob.ok(t, ['fsck'])).code, 0, 'every commit, before and after the rotation, is authorized');
  const again = await bob.ok(t, ['identity', 'rotate']);
  t.match(again.stdout, `Rotated ${after} to `, 'a second rotation follows the first');
  t.equal((await bob.ok(t, ['get', 'DB_URL'])).stdout, 'postgres://two\n');
  t.equal(
    (await bob.ok(t, ['get', 'DB_URL', '--rev', sealedBefore])).stdout,
    'postgres://one\n',
    'a snapshot sealed before both rotations opens with a retired age key',
  );
});

t.test(
  'revoke --rotate sets the new values in one commit, and rotation status lists what is left',
  async (t) => {
    const root = t.testdir();
    const alice = await founder(t, root, 'alice', {
      DB_URL: 'postgres://old',
      API_KEY: 'key-old',
      PUBLIC: 'x',
    });
    const bob = await joinByPath(t, root, alice, 'bob');
    await joinByPath(t, root, alice, 'carol');
    const bobId = await peerIdOf(t, bob);

    const noTerminal = await alice.cli(['peer', 'revoke', bobId, '--rotate']);
    t.equal(noTerminal.code, 2, 'without a terminal or a file, --rotate is refused');
    t.match(noTerminal.stderr, /--from-file/);
    t.match(
      (await alice.ok(t, ['peer', 'list'])).stdout,
      new RegExp(`${bobId}\\s+\\S+\\s+approved`),
      'bob is not revoked',
    );

    const values = path.join(root, 'new.env');
    await writeFile(values, 'DB_URL=postgres://new\nPUBLIC=x\n');
    const head = (await alice.ok(t, ['rev-parse', 'main'])).stdout.trim();
    const revoked = await alice.ok(t, ['peer', 'revoke', bobId, '--rotate', '--from-file', values]);
    t.match(revoked.stdout, /could read the values of these keys/);
    t.match(revoked.stdout, /main: rotated 1 key\(s\) in [0-9a-f]{12}/);
    t.match(revoked.stdout, /main: 2 key\(s\) keep a value it could read/, 'PUBLIC got the value it had');
    t.notMatch(revoked.stdout, /postgres:\/\/new/, 'no value is printed');
    const log = (await alice.ok(t, ['history'])).stdout;
    t.match(log, /Rotate after revoking/);
    t.equal(
      (await alice.ok(t, ['rev-parse', 'main~2'])).stdout.trim(),
      head,
      'a re-seal, then one commit of new values',
    );

    const status = await alice.ok(t, ['rotation', 'status']);
    t.match(status.stdout, `${bobId} (`);
    t.match(status.stdout, /revoked [0-9TZ:-]+: 2 of 3 key\(s\) not rotated/);
    t.match(status.stdout, /main {2}API_KEY {2}not rotated/);
    t.match(status.stdout, /main {2}DB_URL {2}rotated/);

    await alice.ok(t, ['set', 'API_KEY'], 'key-new');
    await alice.ok(t, ['unset', 'PUBLIC']);
    const json = JSON.parse((await alice.ok(t, ['rotation', 'status', '--json'])).stdout);
    t.same(
      json[0].keys.map((key: { key: string; state: string }) => `${key.key}=${key.state}`),
      ['API_KEY=rotated', 'DB_URL=rotated', 'PUBLIC=removed'],
    );
  },
);

/** Runs `env-sync args` on a pseudo-terminal (util-linux `script`), typing each answer after its prompt shows. */
function onTerminal(p: SecurePeer, args: readonly string[], answers: readonly string[]): Promise<string> {
  const command = [process.execPath, BIN, ...args].map((word) => `'${word}'`).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    cwd: p.dir,
    env: { PATH: process.env.PATH ?? '', HOME: p.home, ENV_SYNC_HOME: p.home, TERM: 'dumb' },
  });
  let out = '';
  let asked = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    while (asked < answers.length && out.split('(Enter skips): ').length - 1 > asked) {
      child.stdin.write(`${answers[asked++]}\r`);
    }
  });
  return new Promise((resolve) => child.on('close', () => resolve(out)));
}

t.test('revoke --rotate on a terminal asks for each key without echoing, and Enter skips one', async (t) => {
  const root = t.testdir();
  const alice = await founder(t, root, 'alice', { API_KEY: 'key-old', DB_URL: 'postgres://old' });
  const bob = await joinByPath(t, root, alice, 'bob');
  const bobId = await peerIdOf(t, bob);
  const shown = await onTerminal(alice, ['peer', 'revoke', bobId, '--rotate'], ['', 'postgres://typed']);
  t.match(shown, /new value of API_KEY in main \(Enter skips\): /);
  t.match(shown, /new value of DB_URL in main \(Enter skips\): /);
  t.notMatch(shown, /postgres:\/\/typed/, 'what is typed is not echoed');
  t.match(shown, /main: rotated 1 key\(s\)/);
  t.equal((await alice.ok(t, ['get', 'DB_URL'])).stdout, 'postgres://typed\n');
  t.match((await alice.ok(t, ['rotation', 'status'])).stdout, /main {2}API_KEY {2}not rotated/);
});

t.test(
  'doctor says ok or what to fix, one line per check, and exits 1 when something needs fixing',
  async (t) => {
    const root = t.testdir();
    const alice = await founder(t, root, 'alice', { DB_URL: 'postgres://one' });
    await alice.ok(t, ['checkout']);
    const healthy = await alice.ok(t, ['doctor']);
    t.match(healthy.stdout, /^ok {3}identity: \S+ \(.*\): key files owner-only and matching identity.json$/m);
    t.match(healthy.stdout, /^ok {3}working file: .env is 0600$/m);
    t.match(healthy.stdout, /^ok {3}membership chain: 1 event\(s\), every signature and rule verified$/m);
    t.match(healthy.stdout, /^ok {3}this peer: approved admin$/m);
    t.notMatch(healthy.stdout, /postgres/, 'no value is printed');

    await chmod(path.join(alice.dir, '.env'), 0o644);
    await alice.ok(t, ['remote', 'add', 'gone', path.join(root, 'nothing-here')]);
    // A new identity staged in rotation/ and never installed: a rotation stopped before its events.
    const staged = await runCli(['identity', 'init'], { cwd: root, home: path.join(alice.home, 'rotation') });
    t.equal(staged.code, 0);
    const sick = await alice.cli(['doctor']);
    t.equal(sick.code, 1);
    t.match(sick.stdout, /^fix {2}working file: .env is 0644, readable by others; run chmod 600 '.*\.env'$/m);
    t.match(
      sick.stdout,
      /^fix {2}remote 'gone': .*nothing-here holds no env-sync repository; fix remote.gone.url$/m,
    );
    t.match(
      sick.stdout,
      /^fix {2}identity: .*(interrupted|incomplete)/m,
      'a rotation left half done is named',
    );
  },
);
