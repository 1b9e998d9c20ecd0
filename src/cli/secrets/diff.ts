// `env-sync diff`: the working file against the environment as a unified-style diff, values masked.

import { Command, Option } from 'clipanion';
import { encodeDotenvValue } from '../../dotenv/index.ts';
import { byCodeUnit, diffEntries, isEmptyDiff } from '../../model/diff.ts';
import { readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import { readWorkingFile, workingFile } from '../../model/working-file.ts';
import { MASK } from './secrets-command.ts';
import { WorkingFileCommand } from './working-file-command.ts';

export class DiffCommand extends WorkingFileCommand {
  static override paths = [['diff']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'show how the working file differs from the environment',
    details: `
      Prints the keys that differ between the environment's head (\`---\`) and the working file (\`+++\`), one
      \`-KEY=value\` line for the environment's side and one \`+KEY=value\` line for the file's, sorted by key.
      Values are masked unless \`--show-values\` is given; then each is written as in a \`.env\` file, or as a
      JSON string when \`.env\` cannot hold it. A missing working file counts as empty.

      Without \`--env\`, the environment is the one the file was last checked out from (\`main\` before any
      checkout). With \`--exit-code\`, exits 1 when there are differences, as \`git diff --exit-code\`.
    `,
    examples: [
      ['Which keys changed in .env', '$0 diff'],
      ['Review the values before committing them', '$0 diff --show-values && $0 import'],
    ],
  });

  showValues = Option.Boolean('--show-values', false, { description: 'print the values instead of masks' });
  exitCode = Option.Boolean('--exit-code', false, { description: 'exit 1 when there are differences' });

  async execute(): Promise<number> {
    const session = await this.openSession();
    const env = this.environmentName(session);
    const file = workingFile(session.repo);
    const state = await readExistingEnvironment(session, env);
    const current = (await readWorkingFile(file)) ?? new Map<string, string>();
    const diff = diffEntries(state.entries, current);
    if (isEmptyDiff(diff)) return 0;
    const show = (key: string, value: string) =>
      `${key}=${this.showValues ? (encodeDotenvValue(value) ?? JSON.stringify(value)) : MASK}`;
    let text = `--- ${env}\n+++ ${file.name}\n`;
    for (const key of [...diff.added, ...diff.changed, ...diff.removed].sort(byCodeUnit)) {
      const before = state.entries.get(key);
      const after = current.get(key);
      if (before !== undefined) text += `-${show(key, before)}\n`;
      if (after !== undefined) text += `+${show(key, after)}\n`;
    }
    this.context.stdout.write(text);
    return this.exitCode ? 1 : 0;
  }
}
