// `env-sync log`: the membership history for audit, oldest first, each event re-checked from scratch.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { MembershipCommand } from './membership-command.ts';

export class LogCommand extends MembershipCommand {
  static override paths = [['log']];
  static override usage = Command.Usage({
    category: 'Membership',
    description: 'show the membership event history, and verify it',
    details: `
      Prints the canonical membership chain (\`refs/members\`), oldest first: seq, event id, time, the signing
      peer, the kind and what it did, and whether its signature and every rule check out. Each run re-checks
      the whole chain from the genesis, as a fresh peer would (docs/membership.md#rules).

      \`--verify\` prints nothing per event: it exits 0 with a one-line summary when the whole chain checks out,
      and non-zero at the first problem, naming the event. It also checks that \`refs/members\` is the tip the
      fork rule selects among every branch held, and that it still holds what this machine verified before (no
      rollback). \`env-sync fsck\` checks the commits against the chain. \`--peer <id>\` shows only events signed by or about that
      peer. With \`--json\` each event has \`id\`, \`seq\`, \`time\`, \`actor\`, \`kind\`,
      \`subject\` and \`status\`.
    `,
    examples: [
      ['Show the membership history', '$0 log'],
      ['Verify the chain in a script', '$0 log --verify'],
      ['Events about one peer, as JSON', '$0 log --json --peer MFRGGZ-DFMZTW-…'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });
  verify = Option.Boolean('--verify', false, { description: 'exit non-zero at the first problem' });
  peer = Option.String('--peer', { description: 'only events signed by or about this peer' });

  async execute(): Promise<number> {
    const repo = await this.openSecurePeer();
    const [{ readRawEvents, checkNoRollback }, { auditChain }, format, { parsePeerId, peerIdFromPublicKey }] =
      await Promise.all([
        import('../../membership/chain-store.ts'),
        import('../../membership/audit.ts'),
        import('./format.ts'),
        import('../../crypto/peer-id.ts'),
      ]);
    const only = this.peer === undefined ? null : parsePeerId(this.peer);
    const { tip, events } = await readRawEvents(repo);
    if (tip === null)
      throw new EnvSyncError('E_EVENT_INVALID', 'this repository has no membership chain (refs/members)');
    const report = auditChain(repo.group, tip, events, this.now);
    if (this.verify) {
      if (report.problem !== null)
        throw new EnvSyncError('E_EVENT_INVALID', `verify failed: ${report.problem}`);
      const { readTrustedState } = await import('../../membership/trusted-state.ts');
      const held = new Set(events.map((event) => event.id));
      checkNoRollback(repo, (id) => held.has(id), await readTrustedState(repo));
      this.print(
        `verified ${report.entries.length} event(s) from genesis to ${tip.slice(0, 12)}: signatures and rules ok`,
      );
      return 0;
    }
    const shown = report.entries.filter((entry) => {
      if (only === null) return true;
      const held = entry.body === null ? null : { id: entry.id, event: entry.event, body: entry.body };
      return held === null
        ? peerIdFromPublicKey(entry.event.actor) === only
        : format.eventPeers(held).includes(only);
    });
    if (this.json) {
      this.printJson(
        shown.map((entry) =>
          entry.body === null
            ? { id: entry.id, seq: entry.event.seq, kind: entry.event.kind, status: entry.status }
            : format.eventJson({ id: entry.id, event: entry.event, body: entry.body }, entry.status),
        ),
      );
    } else {
      for (const entry of shown) {
        const what =
          entry.body === null ? entry.event.kind : format.eventSummary({ ...entry, body: entry.body });
        const actor = peerIdFromPublicKey(entry.event.actor);
        const line = `#${entry.event.seq} ${entry.id.slice(0, 12)} ${format.isoTime(entry.event.time)} ${actor} ${what}`;
        this.print(entry.status === 'ok' ? line : `${line}  [${entry.status}]`);
      }
    }
    if (report.problem !== null) this.warn(`the chain does not verify: ${report.problem}`);
    return 0;
  }
}
