// Who a TLS certificate is in the registry: what a server lets its holder do, and which servers a client trusts.

import t from 'tap';
import { certificateAccess, checkServerCertificate } from '../../src/membership/certificate-access.ts';
import { REQUEST_TTL_SECONDS } from '../../src/membership/event-format.ts';
import { actor, add, approve, cardOf, draft, NOW, newGroup, requestBody, revoke } from './model-helpers.ts';

const alice = actor('alice');
const bob = actor('bob');
const carol = actor('carol');
const mallory = actor('mallory');
const fingerprint = (who: typeof alice) => cardOf(who.key, who.name).certificateFingerprint;

function world() {
  const tree = newGroup(alice);
  approve(tree, alice, bob);
  add(tree, draft(tree, alice, requestBody(tree, carol)));
  approve(tree, alice, mallory);
  revoke(tree, alice, mallory);
  return tree.registry();
}

t.test('an approved certificate gets everything, a pending one the chain, others nothing', async (t) => {
  const registry = world();
  t.equal(certificateAccess(registry, fingerprint(alice), NOW), 'full');
  t.equal(certificateAccess(registry, fingerprint(bob), NOW), 'full');
  t.equal(certificateAccess(registry, fingerprint(carol), NOW), 'membership');
  t.equal(certificateAccess(registry, fingerprint(mallory), NOW), 'refused', 'revoked');
  t.equal(certificateAccess(registry, 'ef'.repeat(32), NOW), 'refused', 'unknown');
  t.equal(
    certificateAccess(registry, fingerprint(carol), NOW + REQUEST_TTL_SECONDS + 1),
    'refused',
    'a pending request past its expiry gets nothing',
  );
});

t.test(
  'a client trusts an approved peer, the one peer a remote names, or the token’s certificate',
  async (t) => {
    const registry = world();
    const check = (pin: Parameters<typeof checkServerCertificate>[0], fp: string) => () =>
      checkServerCertificate(pin, fp, "remote 'origin'");
    t.doesNotThrow(check({ registry }, fingerprint(bob)));
    for (const who of [carol, mallory]) {
      t.throws(check({ registry }, fingerprint(who)), {
        code: 'E_PEER_UNKNOWN',
        message: `remote 'origin' presented certificate ${fingerprint(who)}, which is not an approved peer of this group; refused before sending anything`,
      });
    }
    const alicePeerId = registry.byKey(alice.key.publicKey)!.peerId;
    t.doesNotThrow(check({ registry, peerId: alicePeerId }, fingerprint(alice)));
    t.throws(check({ registry, peerId: alicePeerId }, fingerprint(bob)), { message: /not that of/ });
    const token = { fingerprint: fingerprint(alice), peerId: alicePeerId };
    t.doesNotThrow(check(token, fingerprint(alice)));
    t.throws(check(token, fingerprint(bob)), { message: /not the certificate of .* the invitation names/ });
  },
);

t.test('a reader’s certificate may fetch, not push: the server gives it read access only', async (t) => {
  const tree = newGroup(alice);
  approve(tree, alice, bob, 'reader');
  t.equal(certificateAccess(tree.registry(), fingerprint(bob), NOW), 'read');
  revoke(tree, alice, bob);
  t.equal(
    certificateAccess(tree.registry(), fingerprint(bob), NOW),
    'refused',
    'a revoked reader gets nothing',
  );
});
