// `env-sync peer revoke`: revoke a peer, re-seal every environment without it, and list the key names whose
// values it could read (never the values), so the user rotates them.

import { Command, Option } from 'clipanion';
import { isRestoredUnsynced } from '../../crypto/backup.ts';
import { EnvSyncError } from '../../errors.ts';
import { createSession, loadThisPeer } from '../session.ts';
import { MembershipCommand } from './membership-command.ts';

export class PeerRevokeCommand extends MembershipCommand {
  static override paths = [['peer', 'revoke']];
  static override usage = Command.Usage({
    category: 'Membership',
    description: 'revoke a peer, re-seal secrets without it, and list the keys to rotate',
    details: `
      Appends a signed \`revoke\` event (admins only) to the membership chain. Revocation is final for that key:
      an old approval re-sent later changes nothing, and the peer needs a new identity to join again. A pending
      peer can be revoked too, which rejects its request. The last admin cannot be revoked. The event records
      the heads of the revoked peer's commits this repository holds: those and their ancestors stay valid,
      and every other commit by that peer, whatever it claims, is refused by every member from then on.

      Every environment head is then re-encrypted without the revoked peer. Encryption cannot take back what
      the peer already read, so the command prints the names (never the values) of every key in any snapshot
      the peer could decrypt: rotate those values at their source, then \`env-sync set\` them.

      \`<peer>\` is a peer id, a unique prefix of one (4 characters or more) or a peer's name; several matches
      are listed and nothing is revoked.
    `,
    examples: [
      ['Revoke a peer', '$0 peer revoke MFRGGZ-DFMZTW-…'],
      ['Revoke it and record why', '$0 peer revoke MFRGGZ-DFMZTW-… --reason "laptop stolen"'],
      ['Revoke a peer by name', '$0 peer revoke carol'],
    ],
  });

  target = Option.String({ name: 'peer' });
  reason = Option.String('--reason', '', { description: 'why, recorded in the event (public to members)' });

  async execute(): Promise<number> {
    const repo = await this.openSecurePeer();
    const identity = await loadThisPeer();
    const [{ authorEvent, requireSigner }, { findPeer }, { keysReadableBy }, { authoredHeads }] =
      await Promise.all([
        import('../../membership/author.ts'),
        import('../../membership/peer-lookup.ts'),
        import('../../model/reader-exposure.ts'),
        import('../../membership/commit-authorization.ts'),
      ]);
    if (Buffer.byteLength(this.reason) > 500)
      throw new EnvSyncError('E_USAGE', '--reason is limited to 500 bytes');
    const record = findPeer(await this.loadRegistry(repo), this.target);
    const exposed = record.state === 'approved' ? await keysReadableBy(repo, record.ageRecipient) : [];
    // The revoked peer's commits this peer holds stay valid; any other commit by it is refused from now on.
    const heads = await authoredHeads(repo, record.peerId);
    const { held } = await authorEvent(
      repo,
      identity.signingKey,
      (current) => {
        requireSigner(current, identity.signingKey, 'revoke peers');
        return { kind: 'revoke', key: record.key, reason: this.reason, heads };
      },
      {
        now: this.now,
        peer: identity.peerId,
        restoredUnsynced: await isRestoredUnsynced(identity.home),
        reason: 'peer revoke',
      },
    );
    this.print(
      `Revoked ${record.peerId} (${record.name}) (event #${held.event.seq} ${held.id.slice(0, 12)})`,
    );
    const { describeReseal, resealEnvironments } = await import('../../model/reseal.ts');
    const resealed = await resealEnvironments(await createSession(repo), `Re-seal: revoked ${record.peerId}`);
    for (const result of resealed) this.print(`${describeReseal(result)}, without it; no value changed`);
    if (exposed.length === 0) {
      this.print(`${record.peerId} could not read any stored value`);
      return 0;
    }
    this.print(`${record.peerId} could read the values of these keys; rotate them:`);
    for (const { env, keys } of exposed) for (const key of keys) this.print(`  ${env}  ${key}`);
    return 0;
  }
}
