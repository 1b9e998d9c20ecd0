// `env-sync rotation status`: for each revoked peer, the keys it could read and whether each has a new value
// since (decided in model/rotation-status.ts); key names only, never values.

import { Command, Option } from 'clipanion';
import { ROTATED_TO } from '../../membership/registry.ts';
import { createSession } from '../session.ts';
import { MembershipCommand } from './membership-command.ts';

const STATE_TEXT = {
  unchanged: 'not rotated',
  rotated: 'rotated',
  removed: 'removed',
  unreadable: 'changed (some older values are sealed away from you: compare them yourself)',
} as const;

export class RotationStatusCommand extends MembershipCommand {
  static override paths = [['rotation', 'status']];
  static override usage = Command.Usage({
    category: 'Membership',
    description: 'show which keys a revoked peer could read still hold the values it read',
    details: `
      For every revoked peer (or only \`<peer>\`), lists the keys of every environment that any snapshot sealed
      to it held, as \`peer revoke\` listed them, with their state at the environment's head: \`not rotated\`
      (the value is one the peer could read), \`rotated\` (a value it never could) or \`removed\`. Values are
      compared, never printed. Keys rotated away by the peer's own \`identity rotate\` are not listed: that
      key went to the same person. Exit status 0 whatever the states; \`--json\` prints them.
    `,
    examples: [
      ['What is left to rotate after every revocation', '$0 rotation status'],
      ['After revoking one peer', '$0 rotation status carol'],
    ],
  });

  target = Option.String({ name: 'peer', required: false });
  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async execute(): Promise<number> {
    const repo = await this.openSecurePeer();
    const [{ findPeer }, { rotationStatus }] = await Promise.all([
      import('../../membership/peer-lookup.ts'),
      import('../../model/rotation-status.ts'),
    ]);
    const registry = await this.loadRegistry(repo);
    const revoked =
      this.target === undefined
        ? registry.peers().filter((peer) => peer.state === 'revoked' && !peer.reason?.startsWith(ROTATED_TO))
        : [findPeer(registry, this.target)];
    const session = await createSession(repo);
    const report = [];
    for (const peer of revoked) {
      const keys = await rotationStatus(session, peer.ageRecipient);
      report.push({ peerId: peer.peerId, name: peer.name, revokedAt: peer.since.time, keys });
    }
    if (this.json) {
      this.printJson(report);
      return 0;
    }
    if (report.length === 0) this.print('no peer has been revoked');
    for (const { peerId, name, revokedAt, keys } of report) {
      const when = new Date(revokedAt * 1000).toISOString().replace('.000Z', 'Z');
      const left = keys.filter((key) => key.state === 'unchanged').length;
      this.print(`${peerId} (${name}), revoked ${when}: ${left} of ${keys.length} key(s) not rotated`);
      for (const { env, key, state } of keys) this.print(`  ${env}  ${key}  ${STATE_TEXT[state]}`);
    }
    return 0;
  }
}
