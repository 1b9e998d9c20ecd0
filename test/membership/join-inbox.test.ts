// The inbox of join requests that came without an invitation: one file per peer, 0600, in the format
// `peer approve <file>` reads, and a bound on how many strangers may leave one.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { peerIdFromPublicKey } from '../../src/crypto/peer-id.ts';
import { createJoinRequest } from '../../src/membership/build-event.ts';
import { JOIN_INBOX, leaveJoinRequest } from '../../src/membership/join-inbox.ts';
import { parseJoinRequest } from '../../src/membership/join-request.ts';
import { initRepository } from '../../src/store/repository.ts';
import { cardOf, NOW } from './model-helpers.ts';

const GROUP = 'ab'.repeat(32) as never;
const requestOf = (signer: SigningKey) => createJoinRequest(signer, cardOf(signer, 'someone'), GROUP, NOW);

t.test(
  'a request waits in a 0600 file that peer approve reads; the same peer replaces its own',
  async (t) => {
    const repo = await initRepository(t.testdir(), { mode: 'secure-peer', group: GROUP });
    const bob = SigningKey.generate();
    const file = await leaveJoinRequest(repo, requestOf(bob));
    t.equal(file, path.join('.env-sync', JOIN_INBOX, `${peerIdFromPublicKey(bob.publicKey)}.json`));
    const full = path.join(repo.workTree, file);
    t.equal(statSync(full).mode & 0o777, 0o600);
    t.same(parseJoinRequest(readFileSync(full, 'utf8'), file).key, bob.publicKey);
    const again = requestOf(bob);
    t.equal(await leaveJoinRequest(repo, again), file, 'one file per peer');
    t.same(
      parseJoinRequest(readFileSync(full, 'utf8'), file).nonce,
      again.nonce,
      'holding its latest request',
    );
  },
);

t.test('at most 32 requests wait; then a new peer is refused and the inbox is unchanged', async (t) => {
  const repo = await initRepository(t.testdir(), { mode: 'secure-peer', group: GROUP });
  const first = SigningKey.generate();
  await leaveJoinRequest(repo, requestOf(first));
  for (let i = 1; i < 32; i++) await leaveJoinRequest(repo, requestOf(SigningKey.generate()));
  const inbox = path.join(repo.dir, JOIN_INBOX);
  const before = readdirSync(inbox).sort();
  t.equal(before.length, 32);
  await t.rejects(leaveJoinRequest(repo, requestOf(SigningKey.generate())), {
    code: 'E_EVENT_UNAUTHORIZED',
    message: '32 join requests already wait for review on this server; ask its admin for an invitation',
  });
  t.same(readdirSync(inbox).sort(), before);
  await leaveJoinRequest(repo, requestOf(first));
  t.pass('a peer already waiting may still send its request again');
});
