// What every secrets command shares: `--env <name>` (default: the current environment, the one last checked
// out), masking, and one-line reports of a change.

import { Option } from 'clipanion';
import { isEnvSyncError } from '../../errors.ts';
import type { ChangeResult } from '../../model/apply-change.ts';
import type { EnvironmentState, Session } from '../../model/environment.ts';
import { currentEnvironment, readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import type { Repository } from '../../store/repository.ts';
import { EnvSyncCommand } from '../base-command.ts';

/** Shown instead of a value. Fixed width, so it does not leak the value's length. */
export const MASK = '********';

export abstract class SecretsCommand extends EnvSyncCommand {
  envOption = Option.String('--env', {
    description: 'the environment to use (default: the current one, set by checkout; main at first)',
  });

  /** Whether the command makes a repository here when there is none (the first `set` or `import`). */
  protected readonly createsRepository: boolean = false;

  protected override async openRepository(): Promise<Repository> {
    try {
      return await super.openRepository();
    } catch (error) {
      if (!this.createsRepository || !isEnvSyncError(error, 'E_NOT_A_REPOSITORY')) throw error;
    }
    const { initRepositoryHere } = await import('./implied-init.ts');
    await initRepositoryHere(this.context, this.path.join(' '));
    return super.openRepository();
  }

  /** `--env`, or the current environment. */
  protected environmentName(repo: Repository): Promise<string> {
    return this.envOption === undefined ? currentEnvironment(repo) : Promise.resolve(this.envOption);
  }

  /** The session, the environment this command acts on, and its head and values. */
  protected async openEnvironment(): Promise<{ session: Session; env: string; state: EnvironmentState }> {
    const session = await this.openSession();
    const env = await this.environmentName(session.repo);
    return { session, env, state: await readExistingEnvironment(session, env) };
  }

  /** `[main 1a2b3c4d5e6f] Add API_KEY` as git prints a commit, or the note that nothing changed. */
  protected reportChange(env: string, result: ChangeResult, nothingChanged: string): void {
    if (result.commit === null) {
      this.context.stderr.write(`env-sync: ${nothingChanged}; nothing to commit\n`);
      return;
    }
    this.print(`[${env} ${result.commit.slice(0, 12)}] ${(result.message ?? '').split('\n')[0]}`);
  }
}

export const messageOption = () =>
  Option.String('-m,--message', {
    description: 'the commit message (default: one naming the keys changed, never the values)',
  });
