// Commands that only read values (get, list, export, run): from the current environment, `--env <name>`, or
// any revision with `--rev` (`main~2`, `origin/main`, a commit id, `main@{1}` from the reflog).

import { Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { commitKeys, readRevision } from '../../model/environment.ts';
import { existingEnvironmentHead, readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import type { Entries } from '../../model/snapshot-codec.ts';
import { resolveRevision } from '../../store/revision.ts';
import { SecretsCommand } from './secrets-command.ts';

export abstract class ReadingCommand extends SecretsCommand {
  rev = Option.String('--rev', {
    description: 'read this revision instead: main~2, origin/main, a commit id, main@{1}',
  });

  /** The values to read and how to name them in messages (`environment 'main'`, `revision main~1`). */
  protected async readValues(): Promise<{ readonly source: string; readonly entries: Entries }> {
    const session = await this.openSession();
    const rev = this.#revision();
    if (rev !== undefined) {
      return { source: `revision ${rev}`, entries: (await readRevision(session, rev)).entries };
    }
    const env = await this.environmentName(session.repo);
    return { source: `environment '${env}'`, entries: (await readExistingEnvironment(session, env)).entries };
  }

  /** Only the key names, sorted: stored in the clear, so readable by a peer that cannot read the values. */
  protected async readKeyNames(): Promise<string[]> {
    const session = await this.openSession();
    const { repo } = session;
    const rev = this.#revision();
    const head =
      rev === undefined
        ? await existingEnvironmentHead(repo, await this.environmentName(repo))
        : await resolveRevision(repo, rev);
    return head === null ? [] : commitKeys(session, await repo.objects.readTyped(head, 'commit'));
  }

  #revision(): string | undefined {
    if (this.rev !== undefined && this.envOption !== undefined) {
      throw new EnvSyncError('E_USAGE', '--env and --rev exclude each other');
    }
    return this.rev;
  }
}
