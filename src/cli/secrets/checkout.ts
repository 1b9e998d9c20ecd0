// `env-sync checkout`: write the working file from an environment, keeping uncommitted edits safe.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import { checkOutEnvironment, hasUncommittedEdits, workingFile } from '../../model/working-file.ts';
import { WorkingFileCommand } from './working-file-command.ts';

export class CheckoutCommand extends WorkingFileCommand {
  static override paths = [['checkout']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'write the working file from an environment',
    details: `
      Writes the environment's keys and values to the working file (\`.env\` beside \`.env-sync/\`, or the path
      set with \`env-sync config set core.worktree <path>\`), atomically and with mode 0600, and remembers which
      environment and commit it came from (config keys \`checkout.env\` and \`checkout.commit\`), so that
      \`status\` and \`diff\` compare with it.

      If the file holds edits that no commit has (it matches neither the target, nor what was last checked
      out, nor the head of that environment), checkout refuses, exit 1, and changes nothing: commit them with
      \`env-sync import\`, or discard them with \`--force\`.
    `,
    examples: [
      ['Refresh .env from main', '$0 checkout'],
      ['Switch .env to staging', '$0 checkout --env staging'],
      ['Throw away local edits to .env', '$0 checkout --force'],
    ],
  });

  force = Option.Boolean('-f,--force', false, {
    description: 'overwrite edits not committed to any environment',
  });

  async execute(): Promise<number> {
    const session = await this.openSession();
    const env = this.environmentName(session);
    const file = workingFile(session.repo);
    const state = await readExistingEnvironment(session, env);
    if (!this.force && (await hasUncommittedEdits(session, file, state.entries))) {
      throw new EnvSyncError(
        'E_REF_CONFLICT',
        `${file.name} has edits not committed to any environment (see 'env-sync status'); ` +
          "commit them with 'env-sync import' or discard them with 'env-sync checkout --force'",
      );
    }
    await checkOutEnvironment(session, state);
    const at = state.head === null ? 'no commits yet' : state.head.slice(0, 12);
    this.print(`Checked out ${env} (${at}) to ${file.name}: ${state.entries.size} keys, mode 0600`);
    return 0;
  }
}
