// Invalid keys and recipients through the CLI: `peer approve` of a join request file that carries one, and
// `config set encrypt.recipients`, are refused with one line naming the peer or recipient and change nothing;
// a seal to a recipient that slipped in behind env-sync's back names whose it is.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { encodeAgeRecipient } from '../../src/crypto/age-recipient.ts';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { peerIdFromPublicKey } from '../../src/crypto/peer-id.ts';
import { createJoinRequest } from '../../src/membership/build-event.ts';
import { joinRequestToJson } from '../../src/membership/join-request.ts';
import type { EventSigner } from '../../src/membership/signing.ts';
import { openRepository } from '../../src/store/repository.ts';
import { cliIn, expectRefused, makeCliRepo } from '../store/cli-repo.ts';
import { cardOf } from './model-helpers.ts';

const homes = mkdtempSync(path.join(tmpdir(), 'env-sync-invalid-keys-'));
process.once('exit', () => rmSync(homes, { recursive: true, force: true }));
const ALICE = path.join(homes, 'alice');
const BOB = path.join(homes, 'bob');
const LOW_ORDER = encodeAgeRecipient(new Uint8Array(32));

/** The identity point signs every message (see subject-keys.test.ts). */
const identityPoint: EventSigner = {
  publicKey: Uint8Array.from(Buffer.from(`01${'00'.repeat(31)}`, 'hex')),
  sign: (): Uint8Array => {
    const base = Buffer.from(`58${'66'.repeat(31)}`, 'hex');
    return Uint8Array.from([...base, 1, ...new Uint8Array(31)]);
  },
};

/** A secure-peer repository founded by alice, and its group. */
async function secureRepo(t: Test) {
  const cwd = path.join(t.testdir(), 'work');
  const repo = cliIn(cwd, ALICE);
  mkdirSync(cwd);
  await repo.ok(t, ['init']);
  return { repo, group: (await openRepository(cwd)).group };
}

t.test('peer approve refuses a join request with an invalid recipient or key, naming the peer', async (t) => {
  const { repo, group } = await secureRepo(t);
  const mallory = SigningKey.generate();
  const good = cardOf(mallory, 'mallory');
  const typo =
    good.ageRecipient.slice(0, 20) +
    (good.ageRecipient[20] === 'q' ? 'p' : 'q') +
    good.ageRecipient.slice(21);
  const cases: [string, EventSigner, string, RegExp][] = [
    ['a bad checksum', mallory, typo, /checksum does not match/],
    ['a low-order recipient', mallory, LOW_ORDER, /low-order X25519 point/],
    ['a small-order key', identityPoint, good.ageRecipient, /small-order point/],
  ];
  for (const [what, signer, recipient, reason] of cases) {
    const request = createJoinRequest(
      signer,
      { ...good, ageRecipient: recipient },
      group,
      Math.floor(Date.now() / 1000),
    );
    writeFileSync(path.join(repo.cwd, 'bad.req'), JSON.stringify(joinRequestToJson(request)));
    const peer = peerIdFromPublicKey(signer.publicKey);
    const result = await expectRefused(t, repo, ['peer', 'approve', 'bad.req'], {
      message: new RegExp(`bad\\.req: not a valid join request \\(peer mallory \\(${peer}\\) is refused: `),
    });
    t.match(result.stderr, reason, what);
  }
});

t.test('config set encrypt.recipients refuses an invalid recipient and keeps the old value', async (t) => {
  const repo = await makeCliRepo(t, ALICE, 'trusted-owner-ssh');
  const valid = cardOf(SigningKey.generate(), 'x').ageRecipient;
  await repo.ok(t, ['config', 'set', 'encrypt.recipients', valid]);
  for (const [bad, reason] of [
    [LOW_ORDER, /low-order X25519 point/],
    [valid.toUpperCase(), /not all lower case/],
    [`${valid.slice(0, -1)}${valid.at(-1) === 'q' ? 'p' : 'q'}`, /checksum does not match/],
  ] as const) {
    await expectRefused(t, repo, ['config', 'set', 'encrypt.recipients', `${valid}, ${bad}`], {
      message: /^env-sync: not an age X25519 recipient/,
    });
    const again = await repo.run(['config', 'set', 'encrypt.recipients', bad]);
    t.match(again.stderr, reason);
  }
  t.match(readFileSync(path.join(repo.dir, 'config'), 'utf8'), valid);
});

t.test('a seal to a recipient written into the config by hand fails, naming it', async (t) => {
  const repo = await makeCliRepo(t, ALICE, 'trusted-owner-ssh');
  await repo.ok(t, ['config', 'set', 'encrypt', 'true']);
  const config = path.join(repo.dir, 'config');
  writeFileSync(config, `${readFileSync(config, 'utf8')}[encrypt]\n\trecipients = ${LOW_ORDER}\n`);
  await expectRefused(t, repo, ['set', 'API_TOKEN'], {
    input: 'value\n',
    message: new RegExp(
      `cannot seal to a recipient of encrypt.recipients: .*'${LOW_ORDER}': it is a low-order`,
    ),
  });
});

t.test('a seal to a member whose recipient was swapped in the verified record names that peer', async (t) => {
  const { repo } = await secureRepo(t);
  const bob = cliIn(repo.cwd, BOB);
  await bob.ok(t, ['identity', 'init', '--name', 'bob']);
  const request = path.join(repo.cwd, '..', 'bob.req');
  await bob.ok(t, ['peer', 'request', '-o', request]);
  await repo.ok(t, ['peer', 'approve', request]);
  // The identity home's record of the verified registry (only this user can write it) is read while the
  // chain is unchanged: a bad recipient there still fails the seal by name.
  const records = path.join(ALICE, 'repositories');
  const file = readdirSync(records)
    .map((name) => path.join(records, name))
    .find((name) => JSON.parse(readFileSync(name, 'utf8')).repository === path.resolve(repo.dir))!;
  const record = JSON.parse(readFileSync(file, 'utf8'));
  for (const peer of record.registry.peers) if (peer.name === 'bob') peer.ageRecipient = LOW_ORDER;
  writeFileSync(file, JSON.stringify(record));
  const result = await repo.run(['set', 'API_TOKEN'], { input: 'value\n' });
  t.equal(result.code, 1);
  t.match(result.stderr, /^env-sync: cannot seal to peer bob \([A-Z2-7-]+\): .*low-order X25519 point/);
});
