// `env-sync unset KEY…`: remove secrets, committing the change.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { changeEnvironment } from '../../model/apply-change.ts';
import type { EnvironmentState } from '../../model/environment.ts';
import { didYouMean } from '../../suggest.ts';
import { checkKeyArgument } from './key-arguments.ts';
import { messageOption, SecretsCommand } from './secrets-command.ts';

export class UnsetCommand extends SecretsCommand {
  static override paths = [['unset']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'remove secrets, committing the change',
    details: `
      Removes each \`KEY\` from the environment in one commit whose message names the keys. A key that is not
      set is an error (exit 1) and nothing is removed, as \`git rm\` refuses a path it does not track; with
      \`--ignore-missing\` such keys are skipped instead.
    `,
    examples: [
      ['Remove a secret', '$0 unset OLD_API_KEY'],
      [
        'Remove several from staging in one commit',
        '$0 unset --env staging FOO BAR -m "Drop the FOO service"',
      ],
    ],
  });

  message = messageOption();
  ignoreMissing = Option.Boolean('--ignore-missing', false, { description: 'skip keys that are not set' });
  keys = Option.Rest({ name: 'KEY', required: 1 });

  async execute(): Promise<number> {
    const keys = this.keys.map((key, index) => checkKeyArgument(key, index + 1));
    const { session, env } = await this.openEnvironment();
    const without = (state: EnvironmentState) => {
      const missing = keys.filter((key) => !state.entries.has(key));
      if (missing.length > 0 && !this.ignoreMissing) {
        throw new EnvSyncError(
          'E_KEY_MISSING',
          `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set in environment '${env}'${missing.length === 1 ? didYouMean(missing[0]!, state.entries.keys()) : ''}; nothing changed`,
        );
      }
      const next = new Map(state.entries);
      for (const key of keys) next.delete(key);
      return next;
    };
    const result = await changeEnvironment(session, env, without, { message: this.message });
    this.reportChange(env, result, `none of these keys is set in '${env}'`);
    return 0;
  }
}
