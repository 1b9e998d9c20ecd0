// The membership commands as users run them: three peers, each with its own ENV_SYNC_HOME (made once per
// file: identity creation costs an RSA key generation), working on one secure-peer repository. Processes run
// without tap's coverage hooks (see test/store/cli-repo.ts): they triple each start-up.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { childEvent, createJoinRequest } from '../../src/membership/build-event.ts';
import { requireChain } from '../../src/membership/chain-store.ts';
import { joinRequestToJson } from '../../src/membership/join-request.ts';
import type { ObjectId } from '../../src/store/object-id.ts';
import { MEMBERS_REF } from '../../src/store/ref-names.ts';
import { openRepository } from '../../src/store/repository.ts';
import { runInTerminal } from '../helpers/cli.ts';
import { runUninstrumented as runCli } from '../store/cli-repo.ts';
import { approveBody, cardOf } from './model-helpers.ts';

const homes = mkdtempSync(path.join(tmpdir(), 'env-sync-membership-homes-'));
process.once('exit', () => rmSync(homes, { recursive: true, force: true }));
// This test process reads chains through the modules too: what it verifies is recorded in a home of its own.
process.env.ENV_SYNC_HOME = path.join(homes, 'test-process');
mkdirSync(process.env.ENV_SYNC_HOME, { mode: 0o700 });
const HOME = {
  alice: path.join(homes, 'alice'),
  bob: path.join(homes, 'bob'),
  carol: path.join(homes, 'carol'),
};
type Who = keyof typeof HOME;
const CANARY = 'canary-7Hq2-never-printed';

const peerIds = new Map<Who, string>();

// Identities are created once, in parallel, before any test runs.
t.before(async () => {
  await Promise.all(
    (Object.keys(HOME) as Who[]).map(async (who) => {
      const made = await runCli(['identity', 'init', '--name', who], { cwd: homes, home: HOME[who] });
      if (made.code !== 0) throw new Error(made.stderr);
      peerIds.set(who, /Created identity (\S+)/.exec(made.stdout)![1]!);
    }),
  );
});

function peerIn(t: Test) {
  const cwd = path.join(t.testdir(), 'work');
  mkdirSync(cwd, { recursive: true });
  const run = (who: Who, args: string[], input?: string) =>
    runCli(args, { cwd, home: HOME[who], ...(input === undefined ? {} : { input }) });
  const ok = async (who: Who, args: string[], input?: string) => {
    const result = await run(who, args, input);
    t.equal(
      result.code,
      0,
      `${who}: env-sync ${args.join(' ')} exits 0${result.stderr ? `: ${result.stderr}` : ''}`,
    );
    return result;
  };
  const peerId = (who: Who) => peerIds.get(who)!;
  const list = async () =>
    JSON.parse((await ok('alice', ['peer', 'list', '--json'])).stdout) as {
      peerId: string;
      state: string;
      role: string | null;
    }[];
  return { cwd, run, ok, peerId, list };
}

t.test(
  'init founds the group; approve re-seals to the new peer; revoke re-seals without it, naming keys',
  async (t) => {
    const p = peerIn(t);
    const init = await p.ok('alice', ['init']);
    t.match(init.stdout, /Group: [0-9a-f]{64} \(founded by [A-Z2-7-]{41}, admin\)/);
    const repo = await openRepository(p.cwd);
    t.equal(
      await repo.refs.read(MEMBERS_REF),
      repo.group,
      'refs/members is the genesis, whose id is the group id',
    );
    t.equal((await repo.objects.readTyped(repo.group, 'event')).kind, 'genesis');
    const request = path.join(p.cwd, '..', 'bob.join.json');
    const [verified] = await Promise.all([
      p.ok('alice', ['log', '--verify']),
      p.ok('alice', ['set', 'API_TOKEN'], `${CANARY}\n`),
      p.ok('bob', ['peer', 'request', '-o', request]),
    ]);
    t.match(verified.stdout, /verified 1 event/);
    const approved = await p.ok('alice', ['peer', 'approve', request]);
    const bob = p.peerId('bob');
    t.match(
      approved.stdout,
      /Approved [A-Z2-7-]{41} \(bob\) as member[\s\S]*re-sealed main to 2 reader\(s\), no value changed/,
    );
    t.match(approved.stdout, `Approving this peer`, 'it shows what it approves first');
    for (const row of ['name:', 'certificate:  sha256:', 'expires:', 'role:'])
      t.match(approved.stdout, `  ${row}`);
    t.match(approved.stdout, `  peer id:      ${bob}\n`);
    t.match(approved.stdout, /\nNext, on bob's machine: 'env-sync pull' brings the approval/);
    const [read, listed, fsck] = await Promise.all([
      p.ok('bob', ['get', 'API_TOKEN']),
      p.list(),
      p.ok('alice', ['fsck']),
    ]);
    t.equal(read.stdout, `${CANARY}\n`, 'bob reads the current value');
    t.match(listed, [
      { peerId: p.peerId('alice'), state: 'approved', role: 'admin' },
      { peerId: bob, state: 'approved', role: 'member' },
    ]);
    t.match(fsck.stdout, /^ok/);

    const revoked = await p.ok('alice', ['peer', 'revoke', bob.toLowerCase(), '--reason', 'left the team']);
    t.match(revoked.stdout, /could read the values of these keys; rotate them:\n {2}main {2}API_TOKEN\n/);
    t.notMatch(revoked.stdout + revoked.stderr, CANARY, 'never a value');
    const [denied, replay, log, show] = await Promise.all([
      p.run('bob', ['get', 'API_TOKEN']),
      p.run('alice', ['peer', 'approve', request]),
      p.ok('alice', ['log', '--json']),
      p.ok('alice', ['peer', 'show', bob]),
    ]);
    t.equal(denied.code, 1);
    t.match(denied.stderr, /were revoked by alice at [0-9T:-]+Z; rejoin with a new request/);
    t.equal(replay.code, 1, 'the old request cannot approve a revoked key again');
    t.match(replay.stderr, /revoked; a revoked key is never approved again/);
    const kinds = JSON.parse(log.stdout).map(
      (e: { kind: string; status: string }) => `${e.kind} ${e.status}`,
    );
    t.same(kinds, ['genesis ok', 'approve ok', 'revoke ok']);
    t.match(show.stdout, /state: +revoked \(left the team\)/);

    // Rolling refs/members back to before the revocation (someone who can write .env-sync but holds no key):
    // this machine verified the revocation, so every command that needs the registry refuses the chain.
    const ref = path.join(p.cwd, '.env-sync', 'refs', 'members');
    const revokedTip = readFileSync(ref, 'utf8');
    writeFileSync(ref, `${JSON.parse(log.stdout)[1].id}\n`);
    const rolledBack = await p.run('alice', ['peer', 'list']);
    t.equal(rolledBack.code, 1);
    t.match(
      rolledBack.stderr,
      /no longer holds event [0-9a-f]{12}, which this machine verified before; .*rolled back/,
    );
    const sealed = await p.run('alice', ['set', 'API_TOKEN'], 'next\n');
    t.equal(sealed.code, 1, 'nothing is sealed to the registry of a rolled-back chain');
    writeFileSync(ref, revokedTip);
    t.match((await p.ok('alice', ['log', '--verify'])).stdout, /verified 3 event/, 'without it, recomputed');
  },
);

t.test(
  'a member records a request as pending; only an admin approves it; log --verify names a bad event',
  async (t) => {
    const p = peerIn(t);
    await p.ok('alice', ['init']);
    const bobFile = path.join(p.cwd, '..', 'bob.json');
    const carolFile = path.join(p.cwd, '..', 'carol.json');
    await Promise.all([
      p.ok('bob', ['peer', 'request', '-o', bobFile]),
      p.ok('carol', ['peer', 'request', '-o', carolFile]),
    ]);
    await p.ok('alice', ['peer', 'approve', bobFile]);
    t.match((await p.ok('bob', ['peer', 'approve', carolFile])).stdout, /as pending/);
    const carol = p.peerId('carol');
    const [pending, byMember] = await Promise.all([p.list(), p.run('bob', ['peer', 'approve', carol])]);
    t.match(pending, [{}, {}, { peerId: carol, state: 'pending', role: null }]);
    t.equal(byMember.code, 1);
    t.match(byMember.stderr, /only an admin/);
    await p.ok('alice', ['peer', 'approve', carol, '--admin']);
    const [approved, memberRevokes, log] = await Promise.all([
      p.list(),
      p.run('bob', ['peer', 'revoke', p.peerId('alice')]),
      p.ok('carol', ['log', '--peer', carol]),
    ]);
    t.match(approved, [{}, {}, { peerId: carol, state: 'approved', role: 'admin' }]);
    t.equal(memberRevokes.code, 1);
    t.match(memberRevokes.stderr, /not an admin/);
    t.match(log.stdout, /recorded join request[\s\S]*approved .* as admin/);

    // A stored event whose signature does not verify, put at refs/members behind env-sync's back.
    const repo = await openRepository(p.cwd);
    const { tree, storedTip } = await requireChain(repo);
    const stranger = { name: 'x', key: SigningKey.generate() };
    const now = Math.floor(Date.now() / 1000);
    const event = childEvent(
      stranger.key,
      tree.group,
      tree.tip(),
      approveBody(tree, stranger, 'member', now),
      now,
    );
    const forged = await repo.objects.write({ ...event, actor: tree.genesis.event.actor });
    await repo.refs.update(MEMBERS_REF, forged, { peer: 'test', reason: 'forge', expected: storedTip });
    const [verify, shown] = await Promise.all([p.run('alice', ['log', '--verify']), p.run('alice', ['log'])]);
    const named = `event #${event.seq} ${forged.slice(0, 12)} \\(approve\\): signature does not verify`;
    t.equal(verify.code, 1);
    t.match(verify.stderr, new RegExp(`verify failed: ${named}`));
    t.equal(shown.code, 0, 'log without --verify shows the chain and the problem');
    t.match(shown.stdout, new RegExp(`#${event.seq} .*\\[${named}`));
    t.match(shown.stderr, /warning: the chain does not verify/);
  },
);

t.test('refused: a request for another group, a tampered request, and every other mode', async (t) => {
  const p = peerIn(t);
  await p.ok('alice', ['init']);
  const tampered = path.join(p.cwd, '..', 'tampered.json');
  await p.ok('bob', ['peer', 'request', '-o', tampered]);
  writeFileSync(tampered, readFileSync(tampered, 'utf8').replace(/"name": "[^"]*"/, '"name": "mallory"'));
  const foreign = path.join(p.cwd, '..', 'foreign.json');
  const stranger = SigningKey.generate();
  const otherGroup = 'ab'.repeat(32) as ObjectId;
  const now = Math.floor(Date.now() / 1000);
  writeFileSync(
    foreign,
    JSON.stringify(joinRequestToJson(createJoinRequest(stranger, cardOf(stranger, 's'), otherGroup, now))),
  );
  const plain = path.join(p.cwd, '..', 'plain');
  mkdirSync(plain);
  const [wrongGroup, forged] = await Promise.all([
    p.run('alice', ['peer', 'approve', foreign]),
    p.run('alice', ['peer', 'approve', tampered]),
    runCli(['init', '--mode', 'trusted-owner-ssh'], { cwd: plain, home: HOME.alice }),
  ]);
  t.equal(wrongGroup.code, 1);
  t.match(wrongGroup.stderr, /another group/);
  t.equal(forged.code, 1);
  t.match(forged.stderr, /signature does not verify/);
  const [peers, ...refusals] = await Promise.all([
    p.list(),
    runCli(['peer', 'list'], { cwd: plain, home: HOME.alice }),
    runCli(['log'], { cwd: plain, home: HOME.alice }),
  ]);
  t.equal(peers.length, 1, 'nothing was applied');
  for (const refused of refusals) {
    t.equal(refused.code, 1);
    t.match(refused.stderr, /need a secure-peer repository; this one is trusted-owner-ssh/);
  }
});

t.test(
  "a stranger's genesis swapped in with core.group and refs/members is refused against the verified record",
  async (t) => {
    const p = peerIn(t);
    await p.ok('alice', ['init']);
    await p.ok('alice', ['set', 'API_TOKEN'], `${CANARY}\n`);
    await p.ok('alice', ['peer', 'list']);
    // Carol, who holds no key of this group, founds her own group elsewhere and plants its genesis here.
    const elsewhere = path.join(p.cwd, '..', 'elsewhere');
    mkdirSync(elsewhere);
    const founded = await runCli(['init'], { cwd: elsewhere, home: HOME.carol });
    t.equal(founded.code, 0, founded.stderr);
    const theirs = readFileSync(path.join(elsewhere, '.env-sync', 'refs', 'members'), 'utf8').trim();
    const from = path.join(elsewhere, '.env-sync', 'objects', theirs.slice(0, 2), theirs.slice(2));
    const to = path.join(p.cwd, '.env-sync', 'objects', theirs.slice(0, 2));
    mkdirSync(to, { recursive: true });
    writeFileSync(path.join(to, theirs.slice(2)), readFileSync(from));
    const config = path.join(p.cwd, '.env-sync', 'config');
    const group = readFileSync(path.join(p.cwd, '.env-sync', 'refs', 'members'), 'utf8').trim();
    writeFileSync(config, readFileSync(config, 'utf8').replace(group, theirs));
    writeFileSync(path.join(p.cwd, '.env-sync', 'refs', 'members'), `${theirs}\n`);
    const listed = await p.run('alice', ['peer', 'list']);
    t.equal(listed.code, 1);
    t.match(listed.stderr, /verified this repository as group [0-9a-f]{12}, but its config now names group/);
    const sealed = await p.run('alice', ['set', 'API_TOKEN'], 'next\n');
    t.equal(sealed.code, 1, 'nothing is sealed to the planted group');
  },
);

t.test('a repository made anew at the same path (init again) starts a new verified record', async (t) => {
  const p = peerIn(t);
  await p.ok('alice', ['init']);
  await p.ok('alice', ['peer', 'list']);
  rmSync(path.join(p.cwd, '.env-sync'), { recursive: true });
  await p.ok('alice', ['init']);
  t.match((await p.ok('alice', ['peer', 'list'])).stdout, /alice +approved +admin/);
});

t.test(
  'a second peer named like an approved one (in another case) is refused until the first is revoked',
  async (t) => {
    const p = peerIn(t);
    await p.ok('alice', ['init']);
    const request = path.join(p.cwd, '..', 'bob.join.json');
    await p.ok('bob', ['peer', 'request', '-o', request]);
    await p.ok('alice', ['peer', 'approve', request]);
    const repo = await openRepository(p.cwd);
    const impostor = SigningKey.generate();
    const now = Math.floor(Date.now() / 1000);
    const second = path.join(p.cwd, '..', 'second-bob.join.json');
    writeFileSync(
      second,
      JSON.stringify(
        joinRequestToJson(createJoinRequest(impostor, cardOf(impostor, 'Bob'), repo.group, now)),
      ),
    );
    const tip = await repo.refs.read(MEMBERS_REF);
    const refused = await p.run('alice', ['peer', 'approve', second]);
    t.equal(refused.code, 1);
    t.match(
      refused.stderr,
      new RegExp(
        `^env-sync: event #2 [0-9a-f]{12} \\(approve\\): the name "Bob" is already held by ${p.peerId('bob')}; names are unique in a group; nothing was applied\n$`,
      ),
    );
    t.equal(await repo.refs.read(MEMBERS_REF), tip, 'nothing was appended');

    // Peers are found by name or id prefix.
    const prefix = p.peerId('bob').slice(0, 8).toLowerCase();
    t.match(
      (await p.ok('alice', ['peer', 'show', prefix])).stdout,
      new RegExp(`peer id: +${p.peerId('bob')}`),
    );
    t.match(
      (await p.ok('alice', ['peer', 'show', 'alice'])).stdout,
      new RegExp(`peer id: +${p.peerId('alice')}`),
    );
    const short = await p.run('alice', ['peer', 'show', 'ab']);
    t.equal(short.code, 1);
    t.match(
      short.stderr,
      /no peer of this group is named or has an id starting with 'ab' \(an id prefix needs 4 characters or more\)/,
    );
    const revoked = await p.ok('alice', ['peer', 'revoke', p.peerId('bob').slice(0, 9)]);
    t.match(revoked.stdout, new RegExp(`Revoked ${p.peerId('bob')}`));
    const freed = await p.ok('alice', ['peer', 'approve', second]);
    t.match(freed.stdout, /Approved [A-Z2-7-]{41} \(Bob\) as member/, "a revoked peer's name is free again");
  },
);

t.test(
  'names that could pass for another are refused: control, bidi and zero-width characters',
  async (t) => {
    const home = path.join(t.testdir(), 'home');
    for (const name of ['ali\u202eecb', 'bob\u0085', 'bo\u200bb', 'a\u2066b', 'x'.repeat(129)]) {
      const made = await runCli(['identity', 'init', '--name', name], { cwd: t.testdir(), home });
      t.equal(made.code, 2, JSON.stringify(name));
      t.match(made.stderr, /an identity name is 1 to 128 printable characters on one line/);
    }
    const p = peerIn(t);
    await p.ok('alice', ['init']);
    const repo = await openRepository(p.cwd);
    const spoof = SigningKey.generate();
    const file = path.join(p.cwd, '..', 'spoof.join.json');
    const request = createJoinRequest(
      spoof,
      cardOf(spoof, 'ali\u202ece'),
      repo.group,
      Math.floor(Date.now() / 1000),
    );
    writeFileSync(file, JSON.stringify(joinRequestToJson(request)));
    const refused = await p.run('alice', ['peer', 'approve', file]);
    t.equal(refused.code, 1);
    t.match(refused.stderr, /name is malformed/);
    t.equal((await p.list()).length, 1, 'nothing was applied');
  },
);

t.test(
  'peer audit shows who admitted each peer and flags one that may not know of the last revocation',
  async (t) => {
    const p = peerIn(t);
    await p.ok('alice', ['init']);
    for (const who of ['bob', 'carol'] as const) {
      const request = path.join(p.cwd, '..', `${who}.req`);
      await p.ok(who, ['peer', 'request', '-o', request]);
      await p.ok('alice', ['peer', 'approve', request]);
    }
    await p.ok('bob', ['set', 'FROM_BOB'], 'value\n');
    await p.ok('alice', ['peer', 'revoke', 'carol']);
    type Row = {
      peerId: string;
      name: string;
      state: string;
      admittedBy: { seq: number; by: string } | null;
      lastCommit: unknown;
      lastSeen: { seq: number } | null;
      behind: boolean;
    };
    const audit = async () =>
      JSON.parse((await p.ok('alice', ['peer', 'audit', '--json'])).stdout) as {
        lastRevocation: { seq: number };
        peers: Row[];
      };
    let report = await audit();
    const row = (name: string) => report.peers.find((peer) => peer.name === name)!;
    t.equal(report.lastRevocation.seq, 3, 'genesis, two approvals, then the revocation');
    t.match(row('bob'), { state: 'approved', admittedBy: { seq: 1, by: p.peerId('alice') }, behind: true });
    t.ok(row('bob').lastSeen!.seq < 3, "bob's last commit names an event before the revocation");
    t.match(row('alice'), { behind: false, admittedBy: { seq: 0 } });
    t.match(row('carol'), { state: 'revoked', behind: false, lastCommit: null });
    const text = (await p.ok('alice', ['peer', 'audit'])).stdout;
    t.match(
      text,
      /Last revocation: event #3 \(.*\); 1 approved peer\(s\) may not know of it yet: they should sync/,
    );
    t.match(text, /\(behind\)/);

    await p.ok('bob', ['set', 'FROM_BOB'], 'newer\n');
    report = await audit();
    t.match(
      row('bob'),
      { behind: false, lastSeen: { seq: 3 } },
      'a commit naming the revocation shows bob has it',
    );
  },
);

t.test('on a terminal, approve asks first: an answer other than yes approves nothing', async (t) => {
  const p = peerIn(t);
  await p.ok('alice', ['init']);
  const request = path.join(p.cwd, '..', 'bob.join.json');
  await p.ok('bob', ['peer', 'request', '-o', request]);
  const declined = await runInTerminal(['peer', 'approve', request], {
    cwd: p.cwd,
    home: HOME.alice,
    input: 'n\n',
  });
  t.equal(declined.code, 1);
  t.match(declined.stdout, /peer id: +[A-Z2-7-]{41}\r\n[\s\S]*Approve bob as member\? \[y\/N\] /);
  t.match(declined.stdout, /env-sync: nothing approved/);
  t.same(
    (await p.list()).map((peer) => peer.state),
    ['approved'],
    'bob is not approved',
  );
  const accepted = await runInTerminal(['peer', 'approve', request], {
    cwd: p.cwd,
    home: HOME.alice,
    input: 'y\n',
  });
  t.equal(accepted.code, 0);
  t.match(accepted.stdout, /Approved [A-Z2-7-]{41} \(bob\) as member/);
});
