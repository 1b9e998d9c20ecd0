// `env-sync fetch [<remote> | --all]`: download what a remote has and we lack; move refs/remotes/<remote>/*.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { fetchRemote } from '../../sync/fetch.ts';
import { syncLimitsFromConfig } from '../../sync/limits.ts';
import { defaultRemote, listRemotes } from '../../sync/remotes.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { formatMove, remoteTransport } from './connect.ts';

export class FetchCommand extends EnvSyncCommand {
  static override paths = [['fetch']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'download objects and remote-tracking refs from a remote',
    details: `
      Connects to \`<remote>\` (default: \`origin\`, or the only remote), refuses it if it is in another mode or
      group (a repository made by \`init\` is a group of its own: use \`clone\` to join another), offers what this
      repository has, and receives exactly the objects it lacks. Every object is verified (hash, encoding, size,
      references) as it arrives; only when all are stored does \`refs/remotes/<remote>/<env>\` move, one line per
      moved ref on stdout: \`<env>: <old>..<new>\` or \`<env>: (new) <id>\`. Values are never printed. A summary
      goes to stderr. Local branches do not change: see \`merge\` and \`pull\`.

      Limits on what a peer may send (\`sync.maxFrameBytes\`, \`sync.maxObjectBytes\`, \`sync.maxObjects\`,
      \`sync.maxTotalBytes\`, \`sync.idleTimeout\` in seconds, \`sync.maxRefs\`) are read from the config; see
      docs/protocol.md.
    `,
    examples: [
      ['Fetch from origin', '$0 fetch'],
      ['Fetch from a named remote', '$0 fetch laptop'],
      ['Fetch from every remote', '$0 fetch --all'],
    ],
  });

  all = Option.Boolean('--all', false, { description: 'fetch from every remote' });
  remote = Option.String({ required: false, name: 'remote' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    if (this.all && this.remote !== undefined)
      throw new EnvSyncError('E_USAGE', 'give a remote or --all, not both');
    const remotes = this.all ? listRemotes(repo).map((r) => r.name) : [this.remote ?? defaultRemote(repo)];
    const peer = await this.currentPeerId();
    const limits = syncLimitsFromConfig(repo.config);
    for (const remote of remotes) {
      const { moves, stats } = await fetchRemote(
        repo,
        await remoteTransport(repo, remote),
        remote,
        peer,
        limits,
      );
      for (const move of moves)
        this.print(formatMove(remotes.length > 1 ? `${remote}/${move.env}` : move.env, move.old, move.new));
      this.context.stderr.write(`${remote}: ${stats.objects} objects, ${stats.wireBytes} bytes received\n`);
    }
    return 0;
  }
}
