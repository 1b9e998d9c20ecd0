// `env-sync status`: the keys you changed in the working file and the keys that moved upstream since you
// checked it out, each with the command that acts on them; values never shown.

import { Command } from 'clipanion';
import { EnvSyncError, isEnvSyncError } from '../../errors.ts';
import type { EntryDiff } from '../../model/diff.ts';
import { isEmptyDiff } from '../../model/diff.ts';
import { commitKeys, type Session } from '../../model/environment.ts';
import { existingEnvironmentHead, readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import { finishMergeHint } from '../../model/merge.ts';
import { pendingConflict } from '../../model/merge-conflict-record.ts';
import { readCheckoutRecord } from '../../model/working-file.ts';
import {
  conflictingKeys,
  localEdits,
  upstreamChanges,
  viewWorkingFile,
  type WorkingFileView,
} from '../../model/working-file-changes.ts';
import { SecretsCommand } from './secrets-command.ts';

export class StatusCommand extends SecretsCommand {
  static override paths = [['status']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'show your edits to the working file and what moved upstream since checkout',
    details: `
      Names the current environment and compares the working file (\`.env\`, or the path in the config key
      \`core.worktree\`) with the commit it was checked out from. It lists separately the keys you added,
      changed or removed in the file (\`env-sync import\` commits them, \`env-sync checkout --force\` discards
      them), the keys changed in the environment since your checkout (\`env-sync checkout\` brings them into the
      file), and the keys changed on both sides, which \`import\` asks you to choose between. Values are never
      shown; \`env-sync diff --show-values\` shows them.
    `,
    examples: [
      ['See what you changed in .env', '$0 status'],
      ['Compare .env with staging', '$0 status --env staging'],
    ],
  });

  async execute(): Promise<number> {
    const session = await this.openSession();
    const env = await this.environmentName(session.repo);
    const state = await readExistingEnvironment(session, env).catch((error: unknown) => {
      if (isEnvSyncError(error, 'E_NOT_RECIPIENT')) return error;
      throw error;
    });
    if (state instanceof EnvSyncError) {
      this.print(await namesOnlyStatus(session, env, state.message));
      return 0;
    }
    const lines = [
      `On environment ${env}${state.head === null ? ' (no commits yet)' : ` at ${state.head.slice(0, 12)}`}`,
    ];
    const unmerged = await pendingConflict(session.repo, env);
    if (unmerged !== null) {
      lines.push(
        `Merging ${unmerged.source} into ${env} stopped at conflicting key(s): ${unmerged.keys.join(', ')}`,
        `  (${finishMergeHint(env, unmerged.source, unmerged.keys)})`,
      );
    }
    const view = await viewWorkingFile(session, state);
    lines.push(...(await workingFileLines(session, view)));
    this.print(lines.join('\n'));
    return 0;
  }
}

/** For a peer that cannot read the values: key names are in the clear, so say what there is, and why. */
async function namesOnlyStatus(session: Session, env: string, why: string): Promise<string> {
  const head = await existingEnvironmentHead(session.repo, env);
  const keys =
    head === null ? [] : await commitKeys(session, await session.repo.objects.readTyped(head, 'commit'));
  return `On environment ${env}${head === null ? '' : ` at ${head.slice(0, 12)}`}: ${keys.length} key(s)\nValues not readable: ${why}`;
}

/** Your edits, what moved upstream, and the keys changed on both sides, each with the command that acts. */
async function workingFileLines(session: Session, view: WorkingFileView): Promise<string[]> {
  const name = view.file.name;
  const env = view.state.env;
  if (view.current === null) return [`No working file ${name}; 'env-sync checkout' writes it`];
  const lines: string[] = [];
  if (view.record === null) {
    const saved = await readCheckoutRecord(session.repo);
    lines.push(
      saved === null
        ? `${name} was never checked out: 'env-sync import' adds its keys to ${env} and removes none`
        : `${name} was checked out from ${saved.env}, not ${env}: 'env-sync import --env ${env}' adds its keys to ${env}`,
    );
  }
  const upstream = upstreamChanges(view);
  if (!isEmptyDiff(upstream)) {
    lines.push(
      `${env} has moved since ${name} was checked out:`,
      `  (use 'env-sync checkout' to bring these into ${name}; 'env-sync import' keeps them too)`,
      ...keyLines(upstream),
    );
  }
  const edits = localEdits(view);
  if (!isEmptyDiff(edits)) {
    lines.push(
      `Changes in ${name} not committed to ${env}:`,
      "  (use 'env-sync import' to commit them, 'env-sync checkout --force' to discard them)",
      ...keyLines(edits),
    );
  }
  const conflicts = conflictingKeys(view);
  if (conflicts.length > 0) {
    lines.push(
      `Changed both in ${name} and in ${env}: ${conflicts.join(', ')}`,
      `  (compare with 'env-sync diff ${env} --show-values'; keep one with 'env-sync import --resolve KEY=ours|theirs')`,
    );
  }
  if (isEmptyDiff(upstream) && isEmptyDiff(edits)) lines.push(`Working file ${name} matches ${env}`);
  return lines;
}

function keyLines(diff: EntryDiff): string[] {
  return [
    ...diff.added.map((key) => `\tadded:    ${key}`),
    ...diff.changed.map((key) => `\tchanged:  ${key}`),
    ...diff.removed.map((key) => `\tremoved:  ${key}`),
  ];
}
