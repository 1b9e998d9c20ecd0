// `env-sync peer request`: write a signed join request (this peer's public identity) for an admin to approve.

import { promises as fs } from 'node:fs';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { loadThisPeer } from '../session.ts';
import { MembershipCommand } from './membership-command.ts';

export class PeerRequestCommand extends MembershipCommand {
  static override paths = [['peer', 'request']];
  static override usage = Command.Usage({
    category: 'Membership',
    description: 'write a signed request to join this group',
    details: `
      Prints (or writes to \`-o FILE\`) a join request: JSON holding this peer's id, name, Ed25519 signing key,
      age recipient and TLS certificate fingerprint, bound to this repository's group, an expiry and a
      single-use nonce, and signed with this peer's own key. It holds nothing secret.

      Run it in a secure-peer repository of the group you want to join (for example one made by
      \`env-sync clone\`), then give the file to an admin, who runs \`env-sync peer approve FILE\`. A member who is
      not an admin may record it instead; it then shows as pending until an admin approves it by peer id.
      The request expires after \`--expires-in\` days (default 7, at most 30): a pending peer never lingers.
    `,
    examples: [
      ['Write a join request to a file', '$0 peer request -o alice.join.json'],
      ['Print it, valid for one day', '$0 peer request --expires-in 1'],
    ],
  });

  output = Option.String('-o,--output', { description: 'write the request to FILE instead of stdout' });
  days = Option.String('--expires-in', '7', {
    description: 'days until the request expires (1 to 30)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 30)]),
  });

  async execute(): Promise<number> {
    const repo = await this.openSecurePeer();
    const identity = await loadThisPeer();
    const [{ loadRegistry }, { createJoinRequest }, { assertMayRequest, joinRequestToJson }] =
      await Promise.all([
        import('../../membership/chain-store.ts'),
        import('../../membership/build-event.ts'),
        import('../../membership/join-request.ts'),
      ]);
    const loaded = await loadRegistry(repo, this.now);
    const peer = { peerId: identity.peerId, key: identity.signingKey.publicKey, name: identity.name };
    assertMayRequest(loaded?.registry ?? null, peer, this.now);
    const card = {
      name: identity.name,
      ageRecipient: identity.ageRecipient,
      certificateFingerprint: identity.certificateFingerprint,
    };
    const request = createJoinRequest(
      identity.signingKey,
      card,
      repo.group,
      this.now,
      Number(this.days) * 86400,
    );
    const text = `${JSON.stringify(joinRequestToJson(request), null, 2)}\n`;
    if (this.output === undefined) {
      this.print(text);
      return 0;
    }
    await fs.writeFile(this.output, text, { mode: 0o644 });
    this.print(`Wrote the join request of ${identity.peerId} (${identity.name}) to ${this.output}`);
    this.print(`It expires ${new Date(request.expires * 1000).toISOString()}; an admin runs:`);
    this.print(`  env-sync peer approve ${this.output}`);
    return 0;
  }
}
