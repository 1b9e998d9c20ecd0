// `env-sync import [FILE]`: merge a `.env` file into an environment (or replace it with `--replace`).

import path from 'node:path';
import { Command, Option } from 'clipanion';
import { MAX_DOTENV_BYTES, parseDotenvDocument } from '../../dotenv/index.ts';
import { EnvSyncError, isEnvSyncError } from '../../errors.ts';
import { applyChange, mergeEntries } from '../../model/apply-change.ts';
import { readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import { workingFile } from '../../model/working-file.ts';
import { readAllBounded, readFileBounded } from '../io.ts';
import { messageOption, SecretsCommand } from './secrets-command.ts';

export class ImportCommand extends SecretsCommand {
  static override paths = [['import']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'import a .env file into an environment',
    details: `
      Reads \`FILE\` (default: the working file, \`.env\` unless \`core.worktree\` says otherwise; \`-\` reads
      stdin) with dotenv's own parser: \`export \` prefixes, comments, single, double and backtick quotes,
      multi-line double-quoted values and CRLF line ends all work as they do in dotenv. When a key appears
      twice the last value wins, as in dotenv, with a warning.

      By default the file's keys are merged into the environment: keys in the file are added or overwritten,
      other keys are kept. With \`--replace\` the environment becomes exactly the file, so keys absent from
      it are removed.

      A line dotenv would silently skip is an error naming the line, and nothing is committed. The change is
      one commit whose message names the keys added, changed and removed; an import that changes no value
      commits nothing.
    `,
    examples: [
      ['Merge ./.env into main', '$0 import'],
      ['Make staging exactly what a file says', '$0 import --env staging --replace .env.staging'],
      ['Import from another tool', 'other-tool export | $0 import -'],
    ],
  });

  message = messageOption();
  replace = Option.Boolean('--replace', false, {
    description: 'make the environment exactly the file (remove keys it lacks)',
  });
  file = Option.String({ name: 'FILE', required: false });

  async execute(): Promise<number> {
    const session = await this.openSession();
    const defaultFile = workingFile(session.repo);
    const name = this.file ?? defaultFile.name;
    const bytes =
      this.file === '-'
        ? await readAllBounded(this.context.stdin, MAX_DOTENV_BYTES, 'stdin')
        : await readFileBounded(this.file ?? defaultFile.path, MAX_DOTENV_BYTES);
    const document = parseNamedDocument(bytes, this.file === '-' ? 'stdin' : name);
    this.#warnAboutRepeats(document.entries, name);

    const state = await readExistingEnvironment(session, this.env);
    const next = this.replace ? document.values : mergeEntries(state.entries, document.values);
    const subject = `${this.replace ? 'Replace with' : 'Import'} ${this.file === '-' ? 'stdin' : path.basename(name)}`;
    const result = await applyChange(session, state, next, { message: this.message, subject });
    this.reportChange(result, `'${this.env}' already matches ${name}`);
    return 0;
  }

  #warnAboutRepeats(entries: readonly { key: string; line: number }[], name: string): void {
    const lines = new Map<string, number[]>();
    for (const { key, line } of entries) lines.set(key, [...(lines.get(key) ?? []), line]);
    for (const [key, at] of lines) {
      if (at.length > 1) this.warn(`${name}: ${key} is set on lines ${at.join(', ')}; the last one wins`);
    }
  }
}

function parseNamedDocument(bytes: Uint8Array, name: string) {
  try {
    return parseDotenvDocument(bytes);
  } catch (error) {
    if (isEnvSyncError(error))
      throw new EnvSyncError(error.code, `${name}: ${error.message}; nothing imported`);
    throw error;
  }
}
