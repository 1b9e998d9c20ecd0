// `env-sync revert [<commit>]`: a new commit that undoes one commit's changes, key by key.

import { Command, Option } from 'clipanion';
import { revertCommit } from '../../model/undo.ts';
import { messageOption, SecretsCommand } from './secrets-command.ts';

export class RevertCommand extends SecretsCommand {
  static override paths = [['revert']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: "undo one commit's changes with a new commit",
    details: `
      Commits, on the current environment (or \`--env\`), the inverse of the changes \`<commit>\` made against
      its first parent: keys it added are removed, keys it changed or removed get their earlier value back.
      \`<commit>\` is any revision (\`main\`, \`main~2\`, an id from \`env-sync history\`, \`main@{1}\`); without
      it, the environment's last commit. History is kept: the revert is a commit like any other, and can be
      reverted in turn.

      A key changed again after \`<commit>\` is not overwritten: revert refuses, naming it, and changes
      nothing; \`env-sync restore KEY --source <commit>~1\` sets it back explicitly.
    `,
    examples: [
      ['Undo the last change to the current environment', '$0 revert'],
      ['Undo an older commit found with history', '$0 revert 3f2a9c1b'],
    ],
  });

  message = messageOption();
  revision = Option.String({ name: 'commit', required: false });

  async execute(): Promise<number> {
    const { session, env, state } = await this.openEnvironment();
    const result = await revertCommit(session, state, this.revision ?? env, this.message);
    this.reportChange(env, result, `reverting ${this.revision ?? env} changes no value of '${env}'`);
    return 0;
  }
}
