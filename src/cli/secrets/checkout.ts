// `env-sync checkout`: write the working file from an environment, keeping uncommitted edits safe.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { checkOutEnvironment, workingFile } from '../../model/working-file.ts';
import { workingFileHasEdits } from '../../model/working-file-changes.ts';
import { SecretsCommand } from './secrets-command.ts';

export class CheckoutCommand extends SecretsCommand {
  static override paths = [['checkout']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'write the working file from an environment and make it the current one',
    details: `
      Writes the environment's keys and values to the working file (\`.env\` beside \`.env-sync/\`, or the path
      set with \`env-sync config set core.worktree <path>\`), atomically and with mode 0600, and makes the
      environment the current one: every command without \`--env\` then acts on it. The file keeps its layout:
      comments, blank lines, order and \`export \` prefixes stay, only the lines of changed keys change, removed
      keys lose their line and new keys are appended.

      Checkout remembers which environment and commit the file came from and a hash of what it wrote
      (\`.env-sync/CHECKOUT\`, mode 0600), so that \`status\`, \`diff\` and \`import\` tell your edits from what
      moved upstream since. A file you have not edited is always brought up to date.

      If the file holds edits no commit has, checkout refuses, exit 1, and changes nothing: commit them with
      \`env-sync import\`, or discard them with \`--force\`.
    `,
    examples: [
      ['Bring .env up to date with the current environment', '$0 checkout'],
      ['Switch .env (and the current environment) to staging', '$0 checkout --env staging'],
      ['Throw away local edits to .env', '$0 checkout --force'],
    ],
  });

  force = Option.Boolean('-f,--force', false, {
    description: 'overwrite edits not committed to any environment',
  });

  async execute(): Promise<number> {
    const { session, env, state } = await this.openEnvironment();
    if (!this.force && (await workingFileHasEdits(session, state.entries))) {
      throw new EnvSyncError(
        'E_REF_CONFLICT',
        `${workingFile(session.repo).name} has edits not committed to any environment (see 'env-sync status'); ` +
          "commit them with 'env-sync import' or discard them with 'env-sync checkout --force'",
      );
    }
    const file = await checkOutEnvironment(session, state);
    const at = state.head === null ? 'no commits yet' : state.head.slice(0, 12);
    this.print(`Checked out ${env} (${at}) to ${file.name}: ${state.entries.size} keys, mode 0600`);
    return 0;
  }
}
