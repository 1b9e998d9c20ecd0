// `env-sync peer audit`: per peer, who admitted it and when, its last event and commit, and whether it may
// not have heard of the last revocation yet.

import { Command, Option } from 'clipanion';
import { MembershipCommand } from './membership-command.ts';

export class PeerAuditCommand extends MembershipCommand {
  static override paths = [['peer', 'audit']];
  static override usage = Command.Usage({
    category: 'Membership',
    description: 'show who admitted each peer, its last event and commit, and who may be behind',
    details: `
      For every peer of the registry: its state and role; the event that admitted it (\`approve\`, the genesis,
      or the \`rotate-key\` that gave it its current key), by whom and when; the last membership event it
      signed; the last commit it authored that a branch or remote-tracking ref here reaches; and the newest
      membership event it is known to have seen (one its commits name, or one it signed).

      An approved peer whose newest known event is older than the chain's last revocation is flagged \`behind\`:
      as far as this repository can tell, it has not heard of that revocation, and until it syncs it would still
      seal new values to the revoked peer. It is a hint from what this repository holds, not a proof: a peer
      that fetched and committed nothing since looks behind too.

      \`--json\` prints \`{ lastRevocation, peers: [{ peerId, name, state, role, admittedBy, lastEvent,
      lastCommit, lastSeen, behind }] }\`, events as \`{ id, seq, time }\`.
    `,
    examples: [
      ['Audit the group', '$0 peer audit'],
      [
        'Peers that may not know of the last revocation',
        "$0 peer audit --json | jq -r '.peers[] | select(.behind) | .peerId'",
      ],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async execute(): Promise<number> {
    const repo = await this.openSecurePeer();
    const { tree } = await this.loadChain(repo);
    const [{ auditPeers }, { isoTime, table }, { peerIdFromPublicKey }] = await Promise.all([
      import('../../membership/peer-audit.ts'),
      import('./format.ts'),
      import('../../crypto/peer-id.ts'),
    ]);
    const report = await auditPeers(repo, tree);
    const event = (held: { id: string; event: { seq: number; time: number } } | null) =>
      held === null ? null : { id: held.id, seq: held.event.seq, time: isoTime(held.event.time) };
    const peers = report.peers.map((row) => ({
      peerId: row.peer.peerId,
      name: row.peer.name,
      state: row.peer.state,
      role: row.peer.role,
      admittedBy:
        row.admittedBy === null
          ? null
          : { ...event(row.admittedBy.event), by: peerIdFromPublicKey(row.admittedBy.event.event.actor) },
      lastEvent: event(row.lastEvent),
      lastCommit:
        row.lastCommit === null ? null : { id: row.lastCommit.id, time: isoTime(row.lastCommit.time) },
      lastSeen: event(row.lastSeen),
      behind: row.behindRevocation,
    }));
    if (this.json) {
      this.printJson({ lastRevocation: event(report.lastRevocation), peers });
      return 0;
    }
    const short = (id: string) => id.slice(0, 13);
    const rows = peers.map((p) => [
      p.peerId,
      p.name,
      `${p.state}${p.role === null ? '' : ` ${p.role}`}`,
      p.admittedBy === null ? '-' : `#${p.admittedBy.seq} by ${short(p.admittedBy.by)} ${p.admittedBy.time}`,
      p.lastEvent === null ? '-' : `#${p.lastEvent.seq} ${p.lastEvent.time}`,
      p.lastCommit === null ? '-' : `${p.lastCommit.id.slice(0, 12)} ${p.lastCommit.time}`,
      p.lastSeen === null ? '-' : `#${p.lastSeen.seq}${p.behind ? ' (behind)' : ''}`,
    ]);
    this.print(
      table([['PEER ID', 'NAME', 'STATE', 'ADMITTED', 'LAST EVENT', 'LAST COMMIT', 'SEEN'], ...rows]),
    );
    const last = report.lastRevocation;
    if (last !== null) {
      const behind = peers.filter((p) => p.behind).length;
      this.print(
        `Last revocation: event #${last.event.seq} (${isoTime(last.event.time)}); ${behind === 0 ? 'no approved peer is known to be behind it' : `${behind} approved peer(s) may not know of it yet: they should sync`}`,
      );
    }
    return 0;
  }
}
