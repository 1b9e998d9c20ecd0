// `env-sync import [FILE]`: commit the working file's edits (a three-way merge with what moved upstream), or
// add a `.env` file's keys to an environment (or replace it with `--replace`).

import path from 'node:path';
import { Command, Option } from 'clipanion';
import { MAX_DOTENV_BYTES, parseDotenvDocument } from '../../dotenv/index.ts';
import { EnvSyncError, isEnvSyncError } from '../../errors.ts';
import { changeEnvironment, mergeEntries } from '../../model/apply-change.ts';
import type { EnvironmentState } from '../../model/environment.ts';
import { workingFile } from '../../model/working-file.ts';
import { importWorkingFile, viewWorkingFile } from '../../model/working-file-changes.ts';
import { readAllBounded, readFileBounded } from '../io.ts';
import { resolverFrom } from '../sync/merge.ts';
import { messageOption, SecretsCommand } from './secrets-command.ts';

export class ImportCommand extends SecretsCommand {
  static override paths = [['import']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'import a .env file into an environment',
    details: `
      Without \`FILE\`, commits your edits to the working file (\`.env\` unless \`core.worktree\` says otherwise)
      to the environment it was checked out from. This is a three-way merge: the base is the commit the file
      was checked out from, ours is the file, theirs is the environment's head now. Keys a teammate changed
      since your checkout keep their new value, keys you deleted from the file are removed, and a key changed
      both in the file and upstream is a conflict: nothing is committed until you choose with \`--ours\` (the
      file), \`--theirs\` (the environment) or \`--resolve KEY=ours|theirs\`. Afterwards the file holds the new
      head (its layout kept) and counts as checked out from it. A working file that was never checked out has
      its keys added or updated, as with \`FILE\`.

      With \`FILE\` (\`-\` reads stdin), the file's keys are added to the environment or overwrite it; other keys
      are kept. With \`--replace\` the environment becomes exactly the file, so keys absent from it are removed.
      Outside any repository, \`import\` first makes one here, as \`env-sync init\` would, and says so.

      Files are read with dotenv's own parser: \`export \` prefixes, comments, single, double and backtick
      quotes, multi-line double-quoted values and CRLF line ends all work as they do in dotenv. When a key
      appears twice the last value wins, as in dotenv, with a warning.

      A line dotenv would silently skip is an error naming the line, and nothing is committed. The change is
      one commit whose message names the keys added, changed and removed; an import that changes no value
      commits nothing.
    `,
    examples: [
      ['Commit your edits to .env', '$0 import'],
      ['Keep your value of a key a teammate changed too', '$0 import --resolve PORT=ours'],
      ['Make staging exactly what a file says', '$0 import --env staging --replace .env.staging'],
      ['Import from another tool', 'other-tool export | $0 import -'],
    ],
  });

  protected override readonly createsRepository = true;

  message = messageOption();
  replace = Option.Boolean('--replace', false, {
    description: 'make the environment exactly the file (remove keys it lacks)',
  });
  ours = Option.Boolean('--ours', false, { description: "on a conflict keep the working file's value" });
  theirs = Option.Boolean('--theirs', false, { description: "on a conflict keep the environment's value" });
  resolve = Option.Array('--resolve', [], { description: 'KEY=ours or KEY=theirs for one conflicting key' });
  file = Option.String({ name: 'FILE', required: false });

  async execute(): Promise<number> {
    const resolve = resolverFrom(this);
    const { session, env, state } = await this.openEnvironment();
    const defaultFile = workingFile(session.repo);
    const name = this.file ?? defaultFile.name;
    const bytes =
      this.file === '-'
        ? await readAllBounded(this.context.stdin, MAX_DOTENV_BYTES, 'stdin')
        : await readFileBounded(this.file ?? defaultFile.path, MAX_DOTENV_BYTES);
    const document = parseNamedDocument(bytes, this.file === '-' ? 'stdin' : name);
    this.#warnAboutRepeats(document.entries, name);

    const subject = `${this.replace ? 'Replace with' : 'Import'} ${this.file === '-' ? 'stdin' : path.basename(name)}`;
    const options = { message: this.message, subject };
    const nothing = `'${env}' already matches ${name}`;
    if (this.file === undefined) {
      const view = await viewWorkingFile(session, state);
      const how = this.replace ? 'replace' : resolve;
      const { change, updated } = await importWorkingFile(session, view, how, options);
      this.reportChange(env, change, nothing);
      if (updated.length > 0)
        this.print(`Updated ${name} with ${updated.length} key(s) changed in ${env}: ${updated.join(', ')}`);
      return 0;
    }
    const next = (now: EnvironmentState) =>
      this.replace ? document.values : mergeEntries(now.entries, document.values);
    this.reportChange(env, await changeEnvironment(session, env, next, options), nothing);
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
