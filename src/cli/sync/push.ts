// `env-sync push <remote> [<env>…]`: fast-forward the remote's branches to ours; `--force-with-lease` to overwrite.

import { Command, Option } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import { EnvSyncError } from '../../errors.ts';
import { listEnvironments } from '../../model/environment.ts';
import { branchRef, environmentOf } from '../../store/ref-names.ts';
import { syncLimitsFromConfig } from '../../sync/limits.ts';
import { type PushRequest, pushBranches } from '../../sync/push.ts';
import { refuseReaderOf } from '../reader-session.ts';
import { formatMove, remoteTransport } from './connect.ts';
import { membershipOnReceive } from './membership.ts';
import { RemoteCommand } from './ssh-options.ts';

export class PushCommand extends RemoteCommand {
  static override paths = [['push']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: "update a remote's branches from local environments",
    details: `
      \`push <remote> [<env>…]\` sends the objects the remote lacks and moves its \`refs/heads/<env>\` to our
      \`refs/heads/<env>\` (default: the environment HEAD points to; \`--all\` for every environment). Only a
      fast-forward is accepted: if the remote branch has commits we do not have, the push is refused
      (\`E_NON_FAST_FORWARD\`): fetch and merge first. \`--force-with-lease\` overwrites the remote branch anyway,
      but only if it still holds what our \`refs/remotes/<remote>/<env>\` says (nobody pushed since our last
      fetch). The remote checks the same rules with a compare-and-swap, and verifies every object it receives.
      On success \`refs/remotes/<remote>/<env>\` moves too; one line per pushed branch is printed.
      Over SSH the remote runs \`<program> receive-pack '<path>'\`; \`--remote-program\` and
      \`--accept-new-host-key\` are those of \`fetch\`.
    `,
    examples: [
      ['Push the current environment to origin', '$0 push origin'],
      ['Push two environments', '$0 push origin main staging'],
      ['Overwrite the remote branch after rewriting history', '$0 push --force-with-lease origin main'],
    ],
  });

  forceWithLease = Option.Boolean('--force-with-lease', false, {
    description: 'overwrite a diverged remote branch if it is where our remote-tracking ref says',
  });
  all = Option.Boolean('--all', false, { description: 'push every local environment' });
  remote = Option.String({ name: 'remote' });
  envs = Option.Rest({ name: 'env' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    let envs = [...this.envs];
    if (this.all) envs = await listEnvironments(repo);
    else if (envs.length === 0) envs = [environmentOf(await repo.refs.headTarget())];
    const requests: PushRequest[] = [];
    for (const env of envs) {
      const local = await repo.refs.read(branchRef(env));
      if (local === null)
        throw new EnvSyncError('E_BAD_REVISION', `environment '${env}' has no commits to push`);
      requests.push({ env, local, forceWithLease: this.forceWithLease });
    }
    const peer = await this.currentPeerId();
    if (repo.mode === 'secure-peer') await refuseReaderOf(repo, peer, 'push');
    // A local-path remote is served in this process: lend it the membership check its own serve would run.
    const transport = await remoteTransport(
      repo,
      this.remote,
      { beforeRefUpdates: membershipOnReceive({ peerId: peer, now: nowSeconds() }) },
      this.sshOptions(repo, this.remote),
    );
    const outcomes = await pushBranches(
      repo,
      transport,
      this.remote,
      requests,
      peer,
      syncLimitsFromConfig(repo.config),
    );
    for (const outcome of outcomes) {
      this.print(
        outcome.status === 'up-to-date'
          ? `${outcome.env}: up to date`
          : formatMove(outcome.env, outcome.old, outcome.new),
      );
    }
    return 0;
  }
}
