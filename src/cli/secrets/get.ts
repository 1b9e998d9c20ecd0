// `env-sync get KEY`: print exactly one value.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { didYouMean } from '../../suggest.ts';
import { checkKeyArgument } from './key-arguments.ts';
import { ReadingCommand } from './reading-command.ts';

export class GetCommand extends ReadingCommand {
  static override paths = [['get']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: "print one secret's value",
    details: `
      Prints the value of \`KEY\` in the current environment (or \`--env\`, or any revision with \`--rev\`:
      \`main~1\`, \`origin/main\`, a commit id, \`main@{1}\`) exactly as stored, followed by
      one newline. A key that is not set is an error (exit 1) naming the key and the environment, so scripts can
      tell an empty value (exit 0, an empty line) from a missing one. \`--json\` prints \`{key, value}\`, which
      holds a value with newlines or a trailing newline unambiguously.
    `,
    examples: [
      ['Print a value', '$0 get DATABASE_URL'],
      ['Use it in a script', 'psql "$($0 get --env staging DATABASE_URL)"'],
      ['The value before the last change', '$0 get DATABASE_URL --rev main~1'],
      ['A multi-line value for a script', '$0 get --json TLS_KEY | jq -r .value'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print a JSON object' });
  key = Option.String({ name: 'KEY' });

  async execute(): Promise<number> {
    const key = checkKeyArgument(this.key, 1);
    const { source, entries } = await this.readValues();
    const value = entries.get(key);
    if (value === undefined) {
      throw new EnvSyncError(
        'E_KEY_MISSING',
        `${key} is not set in ${source}${didYouMean(key, entries.keys())}`,
      );
    }
    if (this.json) this.printJson({ key, value });
    else this.context.stdout.write(`${value}\n`);
    return 0;
  }
}
