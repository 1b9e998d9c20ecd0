// `env-sync peer list` and `env-sync peer show`: the registry derived from the membership chain.

import { Command, Option } from 'clipanion';
import { MembershipCommand } from './membership-command.ts';

export class PeerListCommand extends MembershipCommand {
  static override paths = [['peer', 'list']];
  static override usage = Command.Usage({
    category: 'Membership',
    description: 'list the peers of this group and their state',
    details: `
      Prints every peer the membership chain knows: peer id, name, state (\`pending\`, \`approved\`, \`revoked\`,
      or \`expired\` for a pending request past its expiry), role, since when (the time of the event that
      set the state) and TLS certificate fingerprint. The registry is derived from the chain each time; it is
      never stored. With \`--json\`, each peer also has \`since.event\` (the event id), \`since.by\`,
      \`expires\`, \`reason\`, \`ageRecipient\` and \`signingKey\`.
    `,
    examples: [
      ['List peers', '$0 peer list'],
      [
        'Peer ids of approved admins',
        '$0 peer list --json | jq -r \'.[] | select(.role=="admin") | .peerId\'',
      ],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async execute(): Promise<number> {
    const registry = await this.loadRegistry(await this.openSecurePeer());
    const { peerJson, table } = await import('./format.ts');
    const peers = registry.peers().map((record) => peerJson(record, this.now));
    if (this.json) {
      this.printJson(peers);
      return 0;
    }
    const rows = peers.map((p) => [
      p.peerId,
      p.name,
      p.state,
      p.role ?? '-',
      p.since.time,
      p.certificateFingerprint,
    ]);
    this.print(table([['PEER ID', 'NAME', 'STATE', 'ROLE', 'SINCE', 'CERTIFICATE (SHA-256)'], ...rows]));
    return 0;
  }
}

export class PeerShowCommand extends MembershipCommand {
  static override paths = [['peer', 'show']];
  static override usage = Command.Usage({
    category: 'Membership',
    description: "show one peer's registry entry and the events about it",
    details: `
      Prints the peer's registry entry (as in \`peer list\`, with its keys) and every event of the canonical
      membership chain that it signed or that concerns it, oldest first. \`--json\` prints
      \`{ peer, events }\`. \`<peer>\` is a peer id (any case, dashes optional), a unique prefix of one (4
      characters or more) or a peer's name; several matches are listed and nothing is shown.
    `,
    examples: [
      ['Show a peer', '$0 peer show MFRGGZ-DFMZTW-…'],
      ['Show a peer by name or id prefix', '$0 peer show bob'],
    ],
  });

  target = Option.String({ name: 'peer' });
  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async execute(): Promise<number> {
    const { tree } = await this.loadChain(await this.openSecurePeer());
    const [{ findPeer }, format] = await Promise.all([
      import('../../membership/peer-lookup.ts'),
      import('./format.ts'),
    ]);
    const record = findPeer(tree.registry(), this.target);
    const peer = format.peerJson(record, this.now);
    const events = tree.canonical().filter((held) => format.eventPeers(held).includes(record.peerId));
    if (this.json) {
      this.printJson({ peer, events: events.map((held) => format.eventJson(held, 'ok')) });
      return 0;
    }
    const rows: [string, string][] = [
      ['peer id', peer.peerId],
      ['name', peer.name],
      ['state', peer.state + (peer.reason ? ` (${peer.reason})` : '')],
      ['role', peer.role ?? '-'],
      ['since', `${peer.since.time} (event ${peer.since.event.slice(0, 12)} by ${peer.since.by})`],
      ...(peer.expires === null ? [] : [['expires', peer.expires] as [string, string]]),
      ['certificate', `sha256:${peer.certificateFingerprint}`],
      ['age recipient', peer.ageRecipient],
      ['signing key', peer.signingKey],
    ];
    this.print(rows.map(([label, value]) => `${`${label}:`.padEnd(15)}${value}`).join('\n'));
    this.print('\nevents:');
    for (const held of events) {
      this.print(
        `  #${held.event.seq} ${held.id.slice(0, 12)} ${format.isoTime(held.event.time)} ${format.eventSummary(held)}`,
      );
    }
    return 0;
  }
}
