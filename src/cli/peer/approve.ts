// `env-sync peer approve`: approve a join request (from its file, or a pending peer by id) and re-seal every
// environment to the new set of readers. A member who is not an admin records the request as pending.

import { existsSync, readFileSync } from 'node:fs';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { isRestoredUnsynced } from '../../crypto/backup.ts';
import { EnvSyncError } from '../../errors.ts';
import { type JoinRequest, ROLES, type Role } from '../../membership/event-format.ts';
import { askYesNo } from '../io.ts';
import { createSession, loadThisPeer } from '../session.ts';
import { MembershipCommand } from './membership-command.ts';

const MAX_REQUEST_FILE_BYTES = 64 * 1024;

export class PeerApproveCommand extends MembershipCommand {
  static override paths = [['peer', 'approve']];
  static override usage = Command.Usage({
    category: 'Membership',
    description: 'approve a join request and re-seal secrets to the new readers',
    details: `
      \`<request>\` is a join request file made by \`env-sync peer request\`, or a pending peer (see \`env-sync peer
      list\`) by its id, a unique prefix of it (4 characters or more) or its name. Only an admin (at the current tip of the membership chain) approves; the new
      peer joins as a member, as an admin with \`--admin\`, or as a reader with \`--role reader\`: a reader fetches
      and reads values (a CI job, see \`env-sync identity export-ci\`) but cannot push, commit or sign events. The approval is a signed event appended to
      \`refs/members\`; it travels to other peers with every fetch.

      Approving re-encrypts the head of every environment to all approved peers (a new commit each), so the
      new peer can read current values; older history stays readable only by those who could read it then.

      Before it signs, it shows what it approves: the name, peer id, certificate fingerprint and expiry of the
      request, and the role; compare them with what the new peer's \`env-sync identity show\` prints. On a
      terminal it then asks; \`--yes\` (or a script, with no terminal) approves without asking. Afterwards it
      prints what the new peer runs next (\`env-sync pull\`, which brings the approval and the re-sealed values).

      Run by a member who is not an admin, a request file is recorded as pending instead, for an admin to
      approve by peer id. A request for another group, an expired one, a reused one, or one from a revoked key
      is refused and nothing changes.
    `,
    examples: [
      ['Approve a request file as a member', '$0 peer approve alice.join.json'],
      ['Approve it as an admin', '$0 peer approve alice.join.json --admin'],
      ['Approve a CI job that only reads', '$0 peer approve ci.join.json --role reader'],
      ['Approve a pending peer by id', '$0 peer approve MFRGGZ-DFMZTW-…'],
      ['Approve from a script, without asking', '$0 peer approve bob.join.json --yes'],
    ],
  });

  target = Option.String({ name: 'request' });
  admin = Option.Boolean('--admin', false, { description: 'approve the peer as an admin (default: member)' });
  yes = Option.Boolean('--yes,-y', false, { description: 'approve without asking' });
  role = Option.String('--role', {
    description: 'the role to approve with: member (default), admin or reader',
    validator: t.isEnum(ROLES),
  });

  async execute(): Promise<number> {
    const repo = await this.openSecurePeer();
    const identity = await loadThisPeer();
    const [{ authorEvent, requireSigner }, { parseJoinRequest }, { approvalBody }, { findPeer }] =
      await Promise.all([
        import('../../membership/author.ts'),
        import('../../membership/join-request.ts'),
        import('../../membership/approval.ts'),
        import('../../membership/peer-lookup.ts'),
      ]);
    const { peerIdFromPublicKey } = await import('../../crypto/peer-id.ts');
    const role = this.#role();
    let target: { file: string; request: JoinRequest } | { peerId: string };
    let card: ApprovalCard;
    if (existsSync(this.target)) {
      const request = parseJoinRequest(readRequestFile(this.target), this.target);
      target = { file: this.target, request };
      card = { ...request, peerId: peerIdFromPublicKey(request.key) };
    } else {
      card = findPeer(await this.loadRegistry(repo), this.target);
      target = { peerId: card.peerId };
    }
    await this.#confirm(card, role);
    const { held } = await authorEvent(
      repo,
      identity.signingKey,
      (tree) => {
        requireSigner(tree, identity.signingKey, 'approve peers');
        return approvalBody(tree, identity.signingKey.publicKey, target, role, this.now);
      },
      {
        now: this.now,
        peer: identity.peerId,
        restoredUnsynced: await isRestoredUnsynced(identity.home),
        reason: 'peer approve',
      },
    );
    const request = (held.body as { request: JoinRequest }).request;
    const who = `${peerIdFromPublicKey(request.key)} (${request.name})`;
    if (held.body.kind === 'request') {
      this.print(
        `Recorded the join request of ${who} as pending (event #${held.event.seq} ${held.id.slice(0, 12)})`,
      );
      this.print(`An admin approves it with: env-sync peer approve ${peerIdFromPublicKey(request.key)}`);
      return 0;
    }
    this.print(`Approved ${who} as ${role} (event #${held.event.seq} ${held.id.slice(0, 12)})`);
    const { describeReseal, resealEnvironments } = await import('../../model/reseal.ts');
    const resealed = await resealEnvironments(await createSession(repo), `Re-seal: approved ${who}`);
    for (const result of resealed) this.print(`${describeReseal(result)}, no value changed`);
    this.print(
      `Next, on ${request.name}'s machine: 'env-sync pull' brings the approval and the values it may now read`,
    );
    return 0;
  }

  /** Shows what is about to be approved, then asks on a terminal; a "no" approves nothing (exit 1). */
  async #confirm(card: ApprovalCard, role: string): Promise<void> {
    const { isoTime } = await import('./format.ts');
    const rows = [
      ['name', card.name],
      ['peer id', card.peerId],
      ['certificate', `sha256:${card.certificateFingerprint}`],
      ['expires', card.expires === null ? 'never' : isoTime(card.expires)],
      ['role', role],
    ];
    this.print(
      [
        'Approving this peer (compare with what its `env-sync identity show` prints):',
        ...rows.map(([label, value]) => `  ${`${label}:`.padEnd(14)}${value}`),
      ].join('\n'),
    );
    if (this.yes) return;
    const answer = await askYesNo(
      this.context.stdin,
      this.context.stderr,
      `Approve ${card.name} as ${role}?`,
    );
    if (answer === false) throw new EnvSyncError('E_USAGE', 'nothing approved', { exitCode: 1 });
  }

  #role(): Role {
    if (this.admin && this.role !== undefined && this.role !== 'admin') {
      throw new EnvSyncError('E_USAGE', `--admin and --role ${this.role} exclude each other`);
    }
    return this.admin ? 'admin' : (this.role ?? 'member');
  }
}

/** What a person compares before approving: from the request file, or the pending peer's registry entry. */
interface ApprovalCard {
  readonly name: string;
  readonly peerId: string;
  readonly certificateFingerprint: string;
  /** When the request expires, in seconds since the epoch. */
  readonly expires: number | null;
}

function readRequestFile(file: string): string {
  const text = readFileSync(file);
  if (text.length > MAX_REQUEST_FILE_BYTES) {
    throw new EnvSyncError('E_OBJECT_TOO_LARGE', `${file} is too large to be a join request`);
  }
  return text.toString('utf8');
}
