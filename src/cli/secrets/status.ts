// `env-sync status`: which keys of the working file differ from the environment, values never shown.

import { Command } from 'clipanion';
import { diffEntries, isEmptyDiff } from '../../model/diff.ts';
import { readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import { checkoutRecord, readWorkingFile, workingFile } from '../../model/working-file.ts';
import { WorkingFileCommand } from './working-file-command.ts';

export class StatusCommand extends WorkingFileCommand {
  static override paths = [['status']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'show keys of the working file that differ from the environment',
    details: `
      Compares the working file (\`.env\`, or the path in the config key \`core.worktree\`) with the head of the
      environment: keys the file adds, keys it changes and keys it lacks. Values are never shown; use
      \`env-sync diff --show-values\` for them.

      Without \`--env\`, the environment is the one the file was last checked out from (\`main\` before any
      checkout). \`env-sync import\` commits the file's changes; \`env-sync checkout --force\` discards them.
    `,
    examples: [
      ['See what you changed in .env', '$0 status'],
      ['Compare .env with staging', '$0 status --env staging'],
    ],
  });

  async execute(): Promise<number> {
    const session = await this.openSession();
    const env = this.environmentName(session);
    const file = workingFile(session.repo);
    const state = await readExistingEnvironment(session, env);
    const record = checkoutRecord(session.repo);
    const lines = [
      `On environment ${env}${state.head === null ? ' (no commits yet)' : ` at ${state.head.slice(0, 12)}`}`,
    ];
    if (record !== null && record.env === env && record.commit !== null && record.commit !== state.head) {
      lines.push(`${env} has moved since ${file.name} was checked out; 'env-sync checkout' updates it`);
    }
    const current = await readWorkingFile(file);
    if (current === null) {
      lines.push(`No working file ${file.name}; 'env-sync checkout' writes it`);
      this.print(lines.join('\n'));
      return 0;
    }
    const diff = diffEntries(state.entries, current);
    if (isEmptyDiff(diff)) {
      lines.push(`Working file ${file.name} matches ${env}`);
    } else {
      lines.push(`Changes in ${file.name} not committed to ${env}:`);
      lines.push("  (use 'env-sync import' to commit them, 'env-sync checkout --force' to discard them)");
      for (const key of diff.added) lines.push(`\tadded:    ${key}`);
      for (const key of diff.changed) lines.push(`\tchanged:  ${key}`);
      for (const key of diff.removed) lines.push(`\tremoved:  ${key}`);
    }
    this.print(lines.join('\n'));
    return 0;
  }
}
