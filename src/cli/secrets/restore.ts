// `env-sync restore KEY… --source <rev>`: give keys the values they had at a revision, as a new commit.

import { Command, Option } from 'clipanion';
import { restoreKeys } from '../../model/undo.ts';
import { checkKeyArgument } from './key-arguments.ts';
import { messageOption, SecretsCommand } from './secrets-command.ts';

export class RestoreCommand extends SecretsCommand {
  static override paths = [['restore']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'set keys back to their values at a revision',
    details: `
      Commits, on the current environment (or \`--env\`), each \`KEY\` with the value it has at \`--source\`
      (any revision: \`main~1\`, \`origin/main\`, a commit id, \`main@{2}\` from the reflog); a key absent there
      is removed. Nothing else changes, and history is kept.
    `,
    examples: [
      ['Undo a mistaken set of one key', '$0 restore DB_URL --source main~1'],
      ['Take a teammate’s values of two keys', '$0 restore API_KEY PORT --source origin/main'],
      ['Where main was before the last pull', '$0 restore PORT --source main@{1}'],
    ],
  });

  message = messageOption();
  source = Option.String('--source', { required: true, description: 'the revision to take the values from' });
  keys = Option.Rest({ name: 'KEY', required: 1 });

  async execute(): Promise<number> {
    const keys = this.keys.map((key, index) => checkKeyArgument(key, index + 1));
    const { session, env, state } = await this.openEnvironment();
    const result = await restoreKeys(session, state, keys, this.source, this.message);
    this.reportChange(env, result, `${keys.join(', ')} already as in ${this.source}`);
    return 0;
  }
}
