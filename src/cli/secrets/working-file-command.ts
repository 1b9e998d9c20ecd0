// Commands about the working file (status, diff, checkout): without `--env` they use the environment the
// file was last checked out from, as git compares with the branch you checked out; `main` before any checkout.

import { Option } from 'clipanion';
import type { Session } from '../../model/environment.ts';
import { checkoutRecord } from '../../model/working-file.ts';
import { DEFAULT_ENVIRONMENT } from '../../store/repository.ts';
import { EnvSyncCommand } from '../base-command.ts';

export abstract class WorkingFileCommand extends EnvSyncCommand {
  envOption = Option.String('--env', {
    description: 'the environment to compare with (default: the one last checked out, else main)',
  });

  protected environmentName(session: Session): string {
    return this.envOption ?? checkoutRecord(session.repo)?.env ?? DEFAULT_ENVIRONMENT;
  }
}
