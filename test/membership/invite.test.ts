// Invitations: the token `peer invite` prints, and every way a join with one is refused, each with its own
// one-line reason and nothing written on either side.

import { existsSync, readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import t, { type Test } from 'tap';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { loadIdentity } from '../../src/crypto/load-identity.ts';
import type { EnvSyncError } from '../../src/errors.ts';
import {
  encodeToken,
  findUsableInvitation,
  newInvitation,
  parseDuration,
  parseToken,
} from '../../src/membership/invitation.ts';
import { updateInvitations } from '../../src/membership/invitation-store.ts';
import { openRepository } from '../../src/store/repository.ts';
import { invite, joinWith, securePeer, servedGroup, serveTls } from '../transport/mtls-helpers.ts';

const GROUP = 'ab'.repeat(32);
const FIELDS = {
  group: GROUP as never,
  inviter: 'AAAAAA-AAAAAA-AAAAAA-AAAAAA-AAAAAA-AAAAAA',
  fingerprint: 'cd'.repeat(32),
  addresses: ['127.0.0.1:7464', '[::1]:7464'],
  expires: 2000,
};
const INVITER = SigningKey.generate();
const TERMS = { now: 1000, role: 'member', approve: false, signer: INVITER } as const;
const AT_INVITER = { group: GROUP, key: INVITER.publicKey };

t.test('a token round-trips and holds a 256-bit secret of which the record keeps only a hash', async (t) => {
  const { token, record } = newInvitation(FIELDS, TERMS);
  t.same(parseToken(encodeToken(token)), token);
  t.match(token.secret, /^[0-9a-f]{64}$/);
  t.notMatch(JSON.stringify(record), new RegExp(token.secret), 'the record never holds the secret');
  t.equal(findUsableInvitation([record], token.secret, 1500, AT_INVITER), record);
});

t.test('a record not signed by the inviter, or with its terms changed, is unknown', async (t) => {
  const { token, record } = newInvitation(FIELDS, TERMS);
  const planted = newInvitation(FIELDS, { ...TERMS, approve: true, signer: SigningKey.generate() });
  const unknown = { code: 'E_EVENT_REPLAY', message: /unknown here/ };
  t.throws(() => findUsableInvitation([planted.record], planted.token.secret, 1500, AT_INVITER), unknown);
  const raised = { ...record, approve: true, role: 'admin' as const };
  t.throws(() => findUsableInvitation([raised], token.secret, 1500, AT_INVITER), unknown);
  const later = { ...record, expires: 9999 };
  t.throws(() => findUsableInvitation([later], token.secret, 1500, AT_INVITER), unknown);
  const otherGroup = { ...AT_INVITER, group: 'ef'.repeat(32) };
  t.throws(() => findUsableInvitation([record], token.secret, 1500, otherGroup), unknown);
});

t.test('a used, cancelled, expired or unknown secret is refused with its own reason', async (t) => {
  const { token, record } = newInvitation(FIELDS, TERMS);
  const refusal = (records: (typeof record)[], secret: string, now: number) => {
    try {
      findUsableInvitation(records, secret, now, AT_INVITER);
      return 'accepted';
    } catch (error) {
      return (error as EnvSyncError).message;
    }
  };
  t.equal(refusal([{ ...record, state: 'spent' }], token.secret, 1500), 'this invitation was used already');
  const spentByBob = { ...record, state: 'spent' as const, peerId: 'BOB' };
  t.equal(
    findUsableInvitation([spentByBob], token.secret, 1500, AT_INVITER, 'BOB'),
    spentByBob,
    'the peer that spent it may send it again',
  );
  const replayed = () => findUsableInvitation([spentByBob], token.secret, 1500, AT_INVITER, 'CAROL');
  t.throws(replayed, { message: 'this invitation was used already' }, 'another peer may not');
  const late = () => findUsableInvitation([spentByBob], token.secret, 2001, AT_INVITER, 'BOB');
  t.throws(late, { message: 'this invitation has expired' }, 'nor that peer once it expired');
  t.equal(refusal([{ ...record, state: 'cancelled' }], token.secret, 1500), 'this invitation was cancelled');
  t.equal(refusal([record], token.secret, 2001), 'this invitation has expired');
  t.match(refusal([record], 'ef'.repeat(32), 1500), /unknown here \(forged/);
  t.match(refusal([record], 'not hex', 1500), /unknown here/);
});

t.test('a token that does not decode, or has a bad field, is refused without repeating it', async (t) => {
  const { token } = newInvitation(FIELDS, TERMS);
  const bad = [
    'env-sync-invite-1.!!!',
    encodeToken({ ...token, fingerprint: 'XY' }),
    encodeToken({ ...token, addresses: ['no-port'] }),
    encodeToken({ ...token, addresses: [] }),
    encodeToken({ ...token, inviter: 'nobody' }),
  ];
  for (const text of bad) {
    t.throws(() => parseToken(text), { code: 'E_USAGE', message: /^not a valid invitation token \(/ });
    try {
      parseToken(text);
    } catch (error) {
      t.notMatch((error as Error).message, token.secret);
    }
  }
});

t.test('durations are given as 90s, 30m, 24h or 7d', async (t) => {
  t.equal(parseDuration('90s', '--expires'), 90);
  t.equal(parseDuration('30m', '--expires'), 1800);
  t.equal(parseDuration('24h', '--expires'), 86400);
  t.equal(parseDuration('7d', '--expires'), 604800);
  for (const text of ['0s', '1w', '5', '', '-1h']) {
    t.throws(() => parseDuration(text, '--expires'), { code: 'E_USAGE' });
  }
});

t.test(
  'spent, expired, cancelled, forged, planted, foreign-group and wrong-certificate tokens are refused; nothing is written',
  async (t) => {
    const { root, alice, served } = await servedGroup(t, { K: 'v' });
    const members = () => readFileSync(path.join(alice.dir, '.env-sync/refs/members'), 'utf8');

    const spent = await invite(t, alice, served);
    await joinWith(t, root, 'first', spent);
    const cancelled = await invite(t, alice, served);
    const id = /^(\S+)\s+open/m.exec((await alice.ok(t, ['peer', 'invite', '--list'])).stdout)![1]!;
    await alice.ok(t, ['peer', 'invite', '--cancel', id]);
    const cancelAgain = await alice.cli(['peer', 'invite', '--cancel', id]);
    t.match(cancelAgain.stderr, /no open invitation with id/);

    const repo = await openRepository(alice.dir);
    const signer = (await loadIdentity(alice.home)).signingKey;
    const real = parseToken(await invite(t, alice, served));
    const expired = await updateInvitations(repo, async (records) => {
      const made = newInvitation({ ...real, expires: 1 }, { now: 0, role: 'member', approve: false, signer });
      return { records: [...records, made.record], result: encodeToken(made.token) };
    });
    // Whoever can write .env-sync/ but holds no key plants a pre-approved invitation: it is not the inviter's.
    const planted = await updateInvitations(repo, async (records) => {
      const made = newInvitation(real, {
        now: 0,
        role: 'admin',
        approve: true,
        signer: SigningKey.generate(),
      });
      return { records: [...records, made.record], result: encodeToken(made.token) };
    });
    const forged = encodeToken({ ...real, secret: 'ef'.repeat(32) });
    const foreign = encodeToken({ ...real, group: 'ab'.repeat(32) as never });
    const wrongCertificate = encodeToken({ ...real, fingerprint: 'cd'.repeat(32) });

    const tipBefore = members();
    const invitationsBefore = readFileSync(path.join(alice.dir, '.env-sync/invitations.json'), 'utf8');
    const cases: [string, string, RegExp][] = [
      ['spent', spent, /refused the join: this invitation was used already$/m],
      ['cancelled', cancelled, /refused the join: this invitation was cancelled$/m],
      ['expired', expired, /this invitation has expired$/m],
      [
        'forged',
        forged,
        /refused the join: this invitation is unknown here \(forged, or made by another peer\)$/m,
      ],
      ['planted', planted, /refused the join: this invitation is unknown here/m],
      [
        'foreign',
        foreign,
        /refused the join: this invitation is for another group than the one served here$/m,
      ],
      [
        'wrong certificate',
        wrongCertificate,
        /presented certificate [0-9a-f]{64}, not the certificate of \S+ the invitation names; refused before sending anything$/m,
      ],
    ];
    for (const [what, token, reason] of cases) {
      const joiner = securePeer(root, `joiner-${what.replace(' ', '-')}`);
      const result = await joiner.cli(['clone', token, joiner.dir], undefined, root);
      t.equal(result.code, 1, `${what}: exits 1`);
      t.match(result.stderr, /^env-sync: [^\n]+\n$/, `${what}: one line`);
      t.match(result.stderr, reason, `${what}: says why`);
      t.notMatch(
        result.stderr + result.stdout,
        /env-sync-invite-|[0-9a-f]{64}"/,
        `${what}: never repeats the token`,
      );
      t.notOk(existsSync(path.join(joiner.dir, '.env-sync')), `${what}: no repository on the joiner's side`);
    }
    t.equal(members(), tipBefore, "the inviter's membership chain did not move");
    t.equal(
      readFileSync(path.join(alice.dir, '.env-sync/invitations.json'), 'utf8'),
      invitationsBefore,
      "the inviter's invitations did not change",
    );
  },
);

t.test('peer invite: only an admin invites; --json; the file keeps no secret and is 0600', async (t) => {
  const { root, alice, served } = await servedGroup(t, {});
  const json = JSON.parse((await alice.ok(t, ['peer', 'invite', '--json', '--expires', '30m'])).stdout);
  t.match(json, { token: /^env-sync-invite-1\./, expires: /^\d{4}-\d\d-\d\dT/ });
  t.same(parseToken(json.token).addresses, [served.address], 'the default address is what serve listens on');
  const file = path.join(alice.dir, '.env-sync/invitations.json');
  t.notMatch(readFileSync(file, 'utf8'), parseToken(json.token).secret);
  const { statSync } = await import('node:fs');
  t.equal(statSync(file).mode & 0o777, 0o600);
  const bob = await joinWith(t, root, 'bob', await invite(t, alice, served, ['--approve']));
  const refused = await bob.peer.cli(['peer', 'invite']);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /is not an admin: only an admin invites/);
  // What a serve bound to every interface records names no address to dial.
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path.join(alice.dir, '.env-sync/serve-addresses'), `pid ${process.pid}\n0.0.0.0:7464\n`);
  const wildcard = await alice.cli(['peer', 'invite']);
  t.equal(wildcard.code, 2);
  t.match(wildcard.stderr, /serve listens on 0\.0\.0\.0:7464, every interface: give --address HOST:PORT/);
  t.match(
    (await alice.ok(t, ['peer', 'invite', '--list'])).stdout,
    new RegExp(`spent\\s+member \\(pre-approved\\)\\s+\\S+\\s+${bob.peerId}`),
  );
});

/** A loopback TCP proxy to `target` that forwards the first `forward` connections and cuts the others. */
async function cuttingProxy(t: Test, target: string, forward: number) {
  const [host, port] = [
    target.slice(0, target.lastIndexOf(':')),
    Number(target.slice(target.lastIndexOf(':') + 1)),
  ];
  const state = { forward };
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (state.forward-- <= 0) return void client.destroy();
    const upstream = net.connect(port, host);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of open) socket.destroy();
    server.close();
  });
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, state };
}

t.test(
  'a join whose clone then fails keeps the invitation for that peer: the same token works again, for no one else',
  async (t) => {
    const { root, alice, served } = await servedGroup(t, { K: 'v' });
    const members = () => readFileSync(path.join(alice.dir, '.env-sync/refs/members'), 'utf8');
    const proxy = await cuttingProxy(t, served.address, 1);
    const token = (await alice.ok(t, ['peer', 'invite', '--address', proxy.address])).stdout.trim();

    const bob = securePeer(root, 'bob');
    const cut = await bob.cli(['clone', token, bob.dir], undefined, root);
    t.equal(cut.code, 1, 'the clone fails once the join is made');
    t.match(cut.stderr, /^env-sync: cannot reach https:\/\/127\.0\.0\.1:\d+ \(ECONNRESET\)\n$/);
    t.notOk(existsSync(path.join(bob.dir, '.env-sync')), 'the failed clone left no repository');
    t.match(served.stderr(), /join: \S+ \(\S+\) is pending/, 'the join itself was recorded');
    const afterJoin = members();

    proxy.state.forward = Number.POSITIVE_INFINITY;
    const again = await bob.ok(t, ['clone', token, bob.dir], undefined, root);
    t.match(again.stdout, /You are (\S+), pending approval; an admin runs: env-sync peer approve \1/);
    t.ok(existsSync(path.join(bob.dir, '.env-sync')), 'the second clone made the repository');
    t.equal(members(), afterJoin, 'the repeated join wrote no second event');
    t.match(served.stderr(), /join: \S+ \(\S+\) sent its join again; it is pending/);

    const carol = securePeer(root, 'carol');
    const replay = await carol.cli(['clone', token, carol.dir], undefined, root);
    t.equal(replay.code, 1);
    t.match(replay.stderr, /refused the join: this invitation was used already\n$/);
    t.notOk(existsSync(path.join(carol.dir, '.env-sync')), 'nothing on the replaying side');
    t.equal(members(), afterJoin, "the replay wrote nothing on the inviter's side");
    const list = (await alice.ok(t, ['peer', 'list'])).stdout;
    t.notMatch(list, /carol/, 'carol is nowhere in the group');
  },
);

t.test(
  'a serve killed with SIGKILL leaves a record peer invite ignores; the next serve replaces it',
  async (t) => {
    const { alice, served } = await servedGroup(t, {});
    const record = path.join(alice.dir, '.env-sync/serve-addresses');
    const addressesOf = async () =>
      parseToken((await alice.ok(t, ['peer', 'invite'])).stdout.trim()).addresses;
    t.same(await addressesOf(), [served.address], 'a live serve is the default address');
    const killed = new Promise((resolve) => served.child.once('exit', resolve));
    served.child.kill('SIGKILL');
    await killed;
    t.match(readFileSync(record, 'utf8'), `pid ${served.child.pid}\n`, 'the killed serve left its record');
    t.notSame(await addressesOf(), [served.address], 'the dead serve is not offered');
    t.same(await addressesOf(), ['127.0.0.1:7464'], 'the default address is');

    const next = await serveTls(t, alice);
    // serve records its addresses just after it prints them.
    while (!readFileSync(record, 'utf8').startsWith(`pid ${next.child.pid}\n`)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    t.equal(
      readFileSync(record, 'utf8'),
      `pid ${next.child.pid}\n${next.address}\n`,
      'the next serve replaced it',
    );
    t.same(await addressesOf(), [next.address]);
    t.equal(await next.stop(), 0);
    t.notOk(existsSync(record), 'a serve that stops removes its record');
  },
);
