// `env-sync pull [<remote>] [<env>…]`: fetch, then merge each fetched branch into the environment of that name.

import { Command, Option } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import { EnvSyncError } from '../../errors.ts';
import { retryWhenBranchMoves } from '../../model/apply-change.ts';
import { currentEnvironment } from '../../model/environment-lifecycle.ts';
import { mergeIntoBranch } from '../../model/merge.ts';
import { branchRef, environmentOf, remoteRef } from '../../store/ref-names.ts';
import { fetchRemote } from '../../sync/fetch.ts';
import { syncLimitsFromConfig } from '../../sync/limits.ts';
import { defaultRemote } from '../../sync/remotes.ts';
import { formatMove, remoteTransport } from './connect.ts';
import { describeMembership, membershipOnFetch } from './membership.ts';
import { describeMerge, MERGE_DETAILS, resolverFrom } from './merge.ts';
import { RemoteCommand } from './ssh-options.ts';

export class PullCommand extends RemoteCommand {
  static override paths = [['pull']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'fetch from a remote and merge its branches',
    details: `
      \`pull [<remote>] [<env>…]\` runs \`fetch <remote>\` (membership events included; default: the current environment's upstream, \`env.<name>.remote\`, else \`origin\`, or the only remote), then merges
      \`<remote>/<env>\` into the local \`<env>\` for every environment the remote has (or only those named).
      ${MERGE_DETAILS}
      Prints the fetched ref moves, then one line per merged environment. If an environment conflicts, the ones
      before it stay merged, it and the rest are left for \`merge\`, and the command fails.
      \`--remote-program\` and \`--accept-new-host-key\` are those of \`fetch\` over SSH.
    `,
    examples: [
      ['Fetch and merge everything from origin', '$0 pull'],
      ['Pull only the main environment from a named remote', '$0 pull laptop main'],
      ['Pull, keeping local values on conflict', '$0 pull --ours'],
    ],
  });

  ours = Option.Boolean('--ours', false, { description: 'resolve every conflict with our value' });
  theirs = Option.Boolean('--theirs', false, { description: 'resolve every conflict with their value' });
  resolve = Option.Array('--resolve', [], { description: 'KEY=ours or KEY=theirs for one conflicting key' });
  args = Option.Rest({ name: 'remote and environments' });

  async execute(): Promise<number> {
    const session = await this.openSession();
    const { repo } = session;
    const [remote = defaultRemote(repo, await currentEnvironment(repo)), ...envs] = this.args;
    const resolve = resolverFrom(this);
    const membership = membershipOnFetch({
      peerId: session.peerId,
      source: `remote '${remote}'`,
      now: nowSeconds(),
    });
    const { moves, ad } = await fetchRemote(
      repo,
      await remoteTransport(repo, remote, {}, this.sshOptions(repo, remote)),
      remote,
      session.peerId,
      syncLimitsFromConfig(repo.config),
      membership.hook,
    );
    for (const line of describeMembership(membership.outcome())) this.print(line);
    for (const move of moves) this.print(formatMove(`${remote}/${move.env}`, move.old, move.new));
    const available = ad.refs.map((ref) => environmentOf(ref.name));
    for (const env of envs) {
      if (!available.includes(env))
        throw new EnvSyncError('E_BAD_REVISION', `remote '${remote}' has no environment '${env}'`);
    }
    for (const env of envs.length > 0 ? envs : available) {
      const theirs = await repo.refs.read(remoteRef(remote, env));
      if (theirs === null) continue;
      const result = await retryWhenBranchMoves(session.repo, branchRef(env), () =>
        mergeIntoBranch(session, env, theirs, `${remote}/${env}`, resolve),
      );
      this.print(describeMerge(env, result));
    }
    return 0;
  }
}
