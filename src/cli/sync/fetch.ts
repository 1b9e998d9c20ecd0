// `env-sync fetch [<remote> | --all]`: download what a remote has and we lack; move refs/remotes/<remote>/*.

import { Command, Option } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import { EnvSyncError } from '../../errors.ts';
import { currentEnvironment } from '../../model/environment-lifecycle.ts';
import { fetchRemote } from '../../sync/fetch.ts';
import { syncLimitsFromConfig } from '../../sync/limits.ts';
import { defaultRemote, listRemotes } from '../../sync/remotes.ts';
import { formatMove, remoteTransport } from './connect.ts';
import { describeMembership, membershipOnFetch } from './membership.ts';
import { RemoteCommand } from './ssh-options.ts';

export class FetchCommand extends RemoteCommand {
  static override paths = [['fetch']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'download objects and remote-tracking refs from a remote',
    details: `
      Connects to \`<remote>\` (default: the current environment's upstream, \`env.<name>.remote\`, which
      \`push --set-upstream\` records; else \`origin\`, or the only remote), refuses it if it is in another mode or
      group (a repository made by \`init\` is a group of its own: use \`clone\` to join another), offers what this
      repository has, and receives exactly the objects it lacks. Every object is verified (hash, encoding, size,
      references) as it arrives. In secure-peer the remote's membership events are then applied (all or none;
      this peer's own events that lost a fork are re-issued), printed as \`members: <n> new events (tip <id>)\`,
      and the fetch is refused if a new commit's author was not approved at the membership event it names.
      Only then does \`refs/remotes/<remote>/<env>\` move, one line per moved ref on stdout:
      \`<env>: <old>..<new>\` or \`<env>: (new) <id>\`. Values are never printed. A summary goes to stderr. Local
      branches do not change: see \`merge\` and \`pull\`.

      Over \`https://\` (secure-peer) the connection is mutual TLS 1.3: this peer presents its identity certificate,
      and the server's certificate must be that of an approved peer of the local registry (or, if
      \`remote.<remote>.peer\` is set, of that peer), else the fetch is refused before any request is sent.

      Limits on what a peer may send (\`sync.maxFrameBytes\`, \`sync.maxObjectBytes\`, \`sync.maxObjects\`,
      \`sync.maxTotalBytes\`, \`sync.idleTimeout\` in seconds, \`sync.maxRefs\`) are read from the config; see
      docs/protocol.md.

      Over SSH (trusted-owner-ssh) the remote runs \`remote.<name>.program\` (or \`--remote-program\`, default
      \`env-sync\`); \`--accept-new-host-key\` trusts a host that known_hosts does not list yet, and
      \`ENV_SYNC_SSH_COMMAND\` or \`core.sshCommand\` runs the system's ssh instead (docs/transports.md).
    `,
    examples: [
      ['Fetch from origin', '$0 fetch'],
      ['Fetch from a named remote', '$0 fetch laptop'],
      ['Fetch from every remote', '$0 fetch --all'],
      ['Fetch from a cron job, printing only problems', '$0 fetch --quiet'],
      ['Fetch over SSH through a jump host', "ENV_SYNC_SSH_COMMAND='ssh -J bastion' $0 fetch"],
    ],
  });

  all = Option.Boolean('--all', false, { description: 'fetch from every remote' });
  remote = Option.String({ required: false, name: 'remote' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    if (this.all && this.remote !== undefined)
      throw new EnvSyncError('E_USAGE', 'give a remote or --all, not both');
    const remotes = this.all
      ? listRemotes(repo).map((r) => r.name)
      : [this.remote ?? defaultRemote(repo, await currentEnvironment(repo))];
    const peer = await this.currentPeerId();
    const limits = syncLimitsFromConfig(repo.config);
    const now = nowSeconds();
    for (const remote of remotes) {
      const membership = membershipOnFetch({ peerId: peer, source: `remote '${remote}'`, now });
      const { moves, stats } = await fetchRemote(
        repo,
        await remoteTransport(repo, remote, {}, this.sshOptions(repo, remote)),
        remote,
        peer,
        limits,
        membership.hook,
      );
      for (const line of describeMembership(membership.outcome())) this.print(line);
      for (const move of moves)
        this.print(formatMove(remotes.length > 1 ? `${remote}/${move.env}` : move.env, move.old, move.new));
      this.progress(`${remote}: ${stats.objects} objects, ${stats.wireBytes} bytes received`);
    }
    return 0;
  }
}
