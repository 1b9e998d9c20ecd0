// `env-sync peer invite`: make a single-use invitation token (an admin), list or cancel open ones.

import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { EnvSyncError } from '../../errors.ts';
import { ROLES } from '../../membership/event-format.ts';
import type { InvitationRecord } from '../../membership/invitation.ts';
import type { Repository } from '../../store/repository.ts';
import { loadThisPeer } from '../session.ts';
import { DEFAULT_LISTEN } from '../sync/serve.ts';
import { MembershipCommand } from './membership-command.ts';

export class PeerInviteCommand extends MembershipCommand {
  static override paths = [['peer', 'invite']];
  static override usage = Command.Usage({
    category: 'Membership',
    description: 'make a single-use invitation token for a new peer',
    details: `
      Prints one line on stdout, the invitation token, for the new peer to run \`env-sync clone <token>\`. It
      holds the group id, this peer's id and certificate fingerprint (the joiner pins the server to it), the
      addresses to dial (\`--address\`, repeatable; default: what a running \`env-sync serve\` listens on, else
      ${DEFAULT_LISTEN}), a single-use secret of 256 bits and the expiry (\`--expires\`, default \`24h\`; \`90s\`,
      \`30m\`, \`24h\`, \`7d\`). Only the secret's SHA-256 is kept, in \`.env-sync/invitations.json\` (mode 0600).
      Treat the token as a password until it is used or expires.

      When the new peer joins, \`serve\` records its join request as pending, and the invitation is spent;
      approve it with \`env-sync peer approve <peer-id>\`. With \`--approve\`, \`serve\` approves it at once as
      \`--role\` (default \`member\`) and re-seals the environments: the new peer's next \`pull\` reads the values.
      Only an admin invites. \`--list\` shows the invitations made here; \`--cancel <id>\` withdraws one.
    `,
    examples: [
      ['Invite a peer to the address serve listens on', '$0 peer invite'],
      [
        'Invite, reachable at a LAN address, for one hour',
        '$0 peer invite --address 192.168.1.20:7464 --expires 1h',
      ],
      ['Pre-approve the new peer as an admin', '$0 peer invite --approve --role admin'],
      ['Pre-approve a CI job that only reads', '$0 peer invite --approve --role reader'],
      ['List invitations', '$0 peer invite --list'],
    ],
  });

  addresses = Option.Array('--address', [], { description: 'HOST:PORT the new peer dials (repeatable)' });
  expires = Option.String('--expires', '24h', {
    description: 'how long the token is valid (90s, 30m, 24h, 7d)',
  });
  role = Option.String('--role', 'member', {
    description: 'role given by a pre-approved join (member, admin or reader)',
    validator: t.isEnum(ROLES),
  });
  approve = Option.Boolean('--approve', false, { description: 'approve the new peer as soon as it joins' });
  json = Option.Boolean('--json', false, { description: 'print {"token": …, "expires": …}' });
  list = Option.Boolean('--list', false, { description: 'list the invitations made here' });
  cancel = Option.String('--cancel', { description: 'cancel the open invitation with this id' });

  async execute(): Promise<number> {
    const repo = await this.openSecurePeer();
    if (this.list) return this.#list(repo);
    if (this.cancel !== undefined) return this.#cancel(repo, this.cancel);
    const [identity, invitation, { updateInvitations }] = await Promise.all([
      loadThisPeer(),
      import('../../membership/invitation.ts'),
      import('../../membership/invitation-store.ts'),
    ]);
    const record = (await this.loadRegistry(repo)).byKey(identity.signingKey.publicKey);
    if (record?.state !== 'approved' || record.role !== 'admin') {
      throw new EnvSyncError(
        'E_EVENT_UNAUTHORIZED',
        `this peer (${identity.peerId}) is not an admin: only an admin invites`,
      );
    }
    const addresses = this.addresses.length > 0 ? this.addresses : await servedAddresses(repo);
    const bad = addresses.find((address) => !invitation.isAddress(address));
    if (bad !== undefined) throw new EnvSyncError('E_USAGE', `--address takes HOST:PORT, not '${bad}'`);
    const expires = this.now + invitation.parseDuration(this.expires, '--expires');
    const made = invitation.newInvitation(
      {
        group: repo.group,
        inviter: identity.peerId,
        fingerprint: identity.certificateFingerprint,
        addresses,
        expires,
      },
      {
        now: this.now,
        role: this.role,
        approve: this.approve,
        signer: identity.signingKey,
      },
    );
    await updateInvitations(repo, async (records) => ({ records: [...records, made.record], result: null }));
    const token = invitation.encodeToken(made.token);
    const when = new Date(expires * 1000).toISOString();
    if (this.json) {
      this.print(JSON.stringify({ token, expires: when }));
      return 0;
    }
    const approval = this.approve ? `, pre-approved as ${this.role}` : '';
    this.context.stderr.write(
      `Invitation ${made.record.id} for ${addresses.join(', ')}${approval}, single use, expires ${when}\n` +
        'The new peer runs: env-sync clone <token>\n',
    );
    this.print(token);
    return 0;
  }

  async #list(repo: Repository): Promise<number> {
    const { readInvitations } = await import('../../membership/invitation-store.ts');
    const records = await readInvitations(repo);
    if (this.json) {
      this.printJson(
        records.map(({ secretHash: _, signature: __, ...shown }) => ({
          ...shown,
          state: stateOf(shown, this.now),
        })),
      );
      return 0;
    }
    const { table } = await import('./format.ts');
    const rows = records.map((r) => [
      r.id,
      stateOf(r, this.now),
      r.approve ? `${r.role} (pre-approved)` : r.role,
      new Date(r.expires * 1000).toISOString(),
      r.peerId ?? '-',
    ]);
    this.print(table([['ID', 'STATE', 'ROLE', 'EXPIRES', 'USED BY'], ...rows]));
    return 0;
  }

  async #cancel(repo: Repository, id: string): Promise<number> {
    const { updateInvitations } = await import('../../membership/invitation-store.ts');
    await updateInvitations(repo, async (records) => {
      const found = records.find((r) => r.id === id);
      if (found === undefined || stateOf(found, this.now) !== 'open') {
        throw new EnvSyncError(
          'E_USAGE',
          `no open invitation with id ${id} (see env-sync peer invite --list)`,
        );
      }
      return {
        records: records.map((r) => (r === found ? { ...r, state: 'cancelled' as const } : r)),
        result: null,
      };
    });
    this.print(`Cancelled invitation ${id}`);
    return 0;
  }
}

function stateOf(record: Pick<InvitationRecord, 'state' | 'expires'>, now: number): string {
  return record.state === 'open' && record.expires < now ? 'expired' : record.state;
}

/** What a running `serve` here listens on, else the default address; a wildcard bind names no address to dial. */
async function servedAddresses(repo: Repository): Promise<string[]> {
  const addresses = await (await import('../sync/serve-secure-peer.ts')).servedAddresses(repo);
  const wildcard = addresses.find((address) => /^(0\.0\.0\.0|\[::\]):/.test(address));
  if (wildcard !== undefined) {
    throw new EnvSyncError(
      'E_USAGE',
      `serve listens on ${wildcard}, every interface: give --address HOST:PORT, an address the new peer can dial`,
    );
  }
  return addresses.length > 0 ? addresses : [DEFAULT_LISTEN];
}
