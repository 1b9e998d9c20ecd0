// `env-sync push [<remote>] [<env>…]`: fast-forward the remote's branches to ours; `--force-with-lease` to overwrite.

import { Command, Option } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import { EnvSyncError } from '../../errors.ts';
import { listEnvironments } from '../../model/environment.ts';
import { branchRef, environmentOf } from '../../store/ref-names.ts';
import { syncLimitsFromConfig } from '../../sync/limits.ts';
import { type PushRequest, pushBranches } from '../../sync/push.ts';
import { defaultRemote, remoteUrl, upstreamKey } from '../../sync/remotes.ts';
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
      \`push [<remote>] [<env>…]\` sends the objects the remote lacks and moves its \`refs/heads/<env>\` to our
      \`refs/heads/<env>\` (default: the environment HEAD points to; \`--all\` for every environment). Only a
      fast-forward is accepted: if the remote branch has commits we do not have, the push is refused
      (\`E_NON_FAST_FORWARD\`): fetch and merge first. \`--force-with-lease\` overwrites the remote branch anyway,
      but only if it still holds what our \`refs/remotes/<remote>/<env>\` says (nobody pushed since our last
      fetch). The remote checks the same rules with a compare-and-swap, and verifies every object it receives.
      On success \`refs/remotes/<remote>/<env>\` moves too; one line per pushed branch is printed.
      Without \`<remote>\`, the current environment's upstream (\`env.<name>.remote\`) is used, else \`origin\`
      or the only remote; \`--set-upstream\` (\`-u\`) records \`<remote>\` as the upstream of each environment
      pushed, so that \`push\`, \`fetch\` and \`pull\` need no remote afterwards.
      Over SSH the remote runs \`<program> receive-pack '<path>'\`; \`--remote-program\` and
      \`--accept-new-host-key\` are those of \`fetch\`.
    `,
    examples: [
      ['Push the current environment to its upstream, or origin', '$0 push'],
      ['Push to laptop and make it the upstream', '$0 push -u laptop'],
      ['Push two environments', '$0 push origin main staging'],
      ['Overwrite the remote branch after rewriting history', '$0 push --force-with-lease origin main'],
    ],
  });

  forceWithLease = Option.Boolean('--force-with-lease', false, {
    description: 'overwrite a diverged remote branch if it is where our remote-tracking ref says',
  });
  all = Option.Boolean('--all', false, { description: 'push every local environment' });
  setUpstream = Option.Boolean('-u,--set-upstream', false, {
    description: 'make the remote the upstream of each environment pushed',
  });
  args = Option.Rest({ name: 'remote and environments' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    const current = environmentOf(await repo.refs.headTarget());
    const [remote = defaultRemote(repo, current), ...named] = this.args;
    let envs = named;
    if (this.all) envs = await listEnvironments(repo);
    else if (envs.length === 0) envs = [current];
    const upstreams = this.setUpstream ? envs.map((env) => upstreamSetting(env)) : [];
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
      remote,
      { beforeRefUpdates: membershipOnReceive({ peerId: peer, now: nowSeconds() }) },
      this.sshOptions(repo, remote),
    );
    const outcomes = await pushBranches(
      repo,
      transport,
      remote,
      requests,
      peer,
      syncLimitsFromConfig(repo.config),
    );
    if (this.setUpstream) {
      remoteUrl(repo, remote);
      for (const key of upstreams) repo.config.set(key, remote);
      await repo.saveConfig();
    }
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

/** Where `push -u` records the upstream of `env`; refused, before anything is pushed, for a name with a dot. */
function upstreamSetting(env: string): string {
  const key = upstreamKey(env);
  if (key === null) {
    throw new EnvSyncError(
      'E_USAGE',
      `environment '${env}' has a '.' in its name, which an upstream setting cannot hold; name the remote instead`,
    );
  }
  return key;
}
