// `env-sync export`: write an environment as .env, JSON or POSIX shell text, to stdout or a 0600 file.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { serializeDotenv, serializeJson, serializeShell } from '../../dotenv/index.ts';
import { ignoreSecretsInGit, isIgnoredByGit } from '../../model/git-ignore.ts';
import { FILE_MODE, writeFileAtomic } from '../../store/fs-atomic.ts';
import { ReadingCommand } from './reading-command.ts';

const FORMATS = ['dotenv', 'json', 'shell'] as const;
const SERIALIZERS = { dotenv: serializeDotenv, json: serializeJson, shell: serializeShell };

export class ExportCommand extends ReadingCommand {
  static override paths = [['export']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'write an environment as .env, JSON or shell text',
    details: `
      Writes every key and value of the environment, sorted by key:

      - \`dotenv\` (default): \`KEY=value\` lines that dotenv's parser reads back exactly. A value no dotenv
        quoting can hold (one with \`'\`, \`"\` and a backtick together, for instance) is an error naming the
        key; use \`json\` or \`shell\`, which represent every value.
      - \`json\`: one JSON object.
      - \`shell\`: \`export KEY='value'\` lines that any POSIX \`sh\` can \`eval\` or source, whatever the values
        hold (keys must then be shell names: letters, digits and \`_\`).

      With \`-o FILE\` the text goes to FILE, written atomically (a crash leaves the old file or the new one)
      with mode 0600. Inside a git work tree where git would not ignore FILE, export warns, since a commit
      would publish the secrets; \`--gitignore\` adds FILE to the \`.gitignore\` of its directory. Prefer
      \`env-sync run\`, which writes no file at all.
    `,
    examples: [
      ['Print the current environment as a .env file', '$0 export'],
      ['Write staging to a private file', '$0 export --env staging -o .env.staging'],
      ['Write a file git must not track', '$0 export -o config/secrets.env --gitignore'],
      ['Load the variables into the current shell', 'eval "$($0 export --format shell)"'],
      ['Feed a tool that reads JSON', '$0 export --format json | jq .'],
    ],
  });

  format = Option.String('--format', 'dotenv', {
    description: 'dotenv, json or shell',
    validator: t.isEnum(FORMATS),
  });
  output = Option.String('-o,--output', { description: 'write to this file (mode 0600) instead of stdout' });
  gitignore = Option.Boolean('--gitignore', false, {
    description: "with -o: add the file to its directory's .gitignore when git would track it",
  });

  async execute(): Promise<number> {
    const { source, entries } = await this.readValues();
    const text = SERIALIZERS[this.format](entries);
    if (this.output === undefined) {
      this.context.stdout.write(text);
      return 0;
    }
    await writeFileAtomic(this.output, text, FILE_MODE);
    await fs.chmod(this.output, FILE_MODE);
    if ((await isIgnoredByGit(this.output)) === false) {
      if (this.gitignore) {
        await ignoreSecretsInGit(path.dirname(path.resolve(this.output)), [path.basename(this.output)]);
        this.context.stderr.write(`Added ${path.basename(this.output)} to .gitignore\n`);
      } else {
        this.warn(
          `git would track ${this.output}, which holds secrets; add it to .gitignore with --gitignore`,
        );
      }
    }
    this.context.stderr.write(`Wrote ${entries.size} keys of ${source} to ${this.output} (mode 0600)\n`);
    return 0;
  }
}
