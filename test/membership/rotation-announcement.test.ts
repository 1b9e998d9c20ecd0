// A key rotation announced to a server over the join endpoint: taken only for the certificate that presents
// it and only when its events verify; a pin on the rotated peer's old id follows it to the new certificate.

import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { SigningKey } from '../../src/crypto/ed25519.ts';
import { loadIdentity } from '../../src/crypto/load-identity.ts';
import { peerIdFromPublicKey } from '../../src/crypto/peer-id.ts';
import { isEnvSyncError } from '../../src/errors.ts';
import { authorRotation } from '../../src/membership/author.ts';
import { checkServerCertificate, currentPeerId } from '../../src/membership/certificate-access.ts';
import { loadRegistry } from '../../src/membership/chain-store.ts';
import {
  acceptRotationAnnouncement,
  isRotationAnnouncement,
  rotationAnnouncement,
} from '../../src/membership/rotation-announcement.ts';
import { MEMBERS_REF } from '../../src/store/ref-names.ts';
import { openRepository } from '../../src/store/repository.ts';
import { initSecurePeerRepository } from '../helpers/secure-peer-repo.ts';
import { cardOf } from './model-helpers.ts';

const NOW = Math.floor(Date.now() / 1000);

async function rotatedCopy(t: Test) {
  const root = t.testdir();
  const home = path.join(root, 'home');
  process.env.ENV_SYNC_HOME = home;
  await mkdir(path.join(root, 'server'));
  const server = await initSecurePeerRepository(path.join(root, 'server'), home);
  await cp(path.join(root, 'server'), path.join(root, 'client'), { recursive: true });
  const client = await openRepository(path.join(root, 'client'));
  const identity = await loadIdentity(home);
  const next = SigningKey.generate();
  const card = cardOf(next, 'ignored');
  const { held } = await authorRotation(client, identity.signingKey, next, card, [], {
    now: NOW,
    peer: identity.peerId,
    reason: 'test',
    restoredUnsynced: false,
  });
  const body = await rotationAnnouncement(client, held.id);
  return { server, identity, next, card, body };
}

t.test(
  'a server takes a rotation announced by the certificate it names, and pins that certificate',
  async (t) => {
    const { server, identity, next, card, body } = await rotatedCopy(t);
    t.ok(isRotationAnnouncement(body));
    t.notOk(isRotationAnnouncement('{"request":{},"secret":"x"}'), 'a join is not an announcement');
    const before = await server.refs.read(MEMBERS_REF);

    const other = await acceptRotationAnnouncement(server, body, 'ab'.repeat(32), {
      now: NOW,
      peer: 'test',
    }).catch((error: unknown) => error);
    t.ok(isEnvSyncError(other, 'E_EVENT_INVALID'), 'refused from another certificate');
    t.equal(await server.refs.read(MEMBERS_REF), before, 'nothing applied');

    const tampered = JSON.parse(body);
    const bytes = Buffer.from(tampered.events.at(-1), 'base64');
    bytes[bytes.length - 1]! ^= 1;
    tampered.events[tampered.events.length - 1] = bytes.toString('base64');
    const forged = await acceptRotationAnnouncement(
      server,
      JSON.stringify(tampered),
      card.certificateFingerprint,
      {
        now: NOW,
        peer: 'test',
      },
    ).catch((error: unknown) => error);
    t.ok(isEnvSyncError(forged), `an altered event is refused (${(forged as Error).message})`);
    t.equal(await server.refs.read(MEMBERS_REF), before);

    const garbage = await acceptRotationAnnouncement(
      server,
      '{"type":"env-sync-key-rotation","version":1}',
      'ab',
      {
        now: NOW,
        peer: 'test',
      },
    ).catch((error: unknown) => error);
    t.ok(isEnvSyncError(garbage, 'E_PROTOCOL'), 'a malformed announcement is a protocol error');

    const accepted = await acceptRotationAnnouncement(server, body, card.certificateFingerprint, {
      now: NOW,
      peer: 'test',
    });
    const newId = peerIdFromPublicKey(next.publicKey);
    t.equal(accepted.peerId, newId);
    const registry = (await loadRegistry(server, NOW))!.registry;
    t.equal(registry.byPeerId(newId)?.state, 'approved');
    t.equal(registry.byPeerId(identity.peerId)?.state, 'revoked');

    t.equal(currentPeerId(registry, identity.peerId), newId, 'a pin on the old id follows the rotation');
    const pin = { registry, peerId: identity.peerId };
    t.doesNotThrow(() => checkServerCertificate(pin, card.certificateFingerprint, 'server'));
    t.throws(() => checkServerCertificate(pin, identity.certificateFingerprint, 'server'), /not that of/);
  },
);
