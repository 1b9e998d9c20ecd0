// Commands that only read values (get, list, export, run): from the current environment, `--env <name>`, or
// any revision with `--rev` (`main~2`, `origin/main`, a commit id, `main@{1}` from the reflog).

import { Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { readRevision } from '../../model/environment.ts';
import { readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import type { Entries } from '../../model/snapshot-codec.ts';
import { SecretsCommand } from './secrets-command.ts';

export abstract class ReadingCommand extends SecretsCommand {
  rev = Option.String('--rev', {
    description: 'read this revision instead: main~2, origin/main, a commit id, main@{1}',
  });

  /** The values to read and how to name them in messages (`environment 'main'`, `revision main~1`). */
  protected async readValues(): Promise<{ readonly source: string; readonly entries: Entries }> {
    const session = await this.openSession();
    if (this.rev !== undefined) {
      if (this.envOption !== undefined)
        throw new EnvSyncError('E_USAGE', '--env and --rev exclude each other');
      return { source: `revision ${this.rev}`, entries: (await readRevision(session, this.rev)).entries };
    }
    const env = await this.environmentName(session.repo);
    return { source: `environment '${env}'`, entries: (await readExistingEnvironment(session, env)).entries };
  }
}
