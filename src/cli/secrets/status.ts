// `env-sync status`: the keys you changed in the working file and the keys that moved upstream since you
// checked it out, each with the command that acts on them; values never shown.

import { Command, Option } from 'clipanion';
import { EnvSyncError, isEnvSyncError } from '../../errors.ts';
import type { EntryDiff } from '../../model/diff.ts';
import { isEmptyDiff } from '../../model/diff.ts';
import { commitKeys, type Session } from '../../model/environment.ts';
import { existingEnvironmentHead, readExistingEnvironment } from '../../model/environment-lifecycle.ts';
import { finishMergeHint } from '../../model/merge.ts';
import { pendingConflict } from '../../model/merge-conflict-record.ts';
import { readCheckoutRecord, readWorkingFileBytes, workingFile } from '../../model/working-file.ts';
import {
  conflictingKeys,
  localEdits,
  upstreamChanges,
  viewWorkingFile,
} from '../../model/working-file-changes.ts';
import { type Colors, coloursFor } from '../colour.ts';
import { SecretsCommand } from './secrets-command.ts';

/** What `status` finds, printed as text or, with `--json`, as is (docs/cli.md#status). */
interface StatusReport {
  readonly env: string;
  readonly head: string | null;
  readonly workingFile: string;
  readonly workingFileExists: boolean;
  /** The environment the working file was last checked out from; null when it never was. */
  readonly checkedOutFrom: string | null;
  readonly merging: { readonly source: string; readonly keys: readonly string[] } | null;
  /** False for a peer that cannot read the values: the changes below are then unknown and left empty. */
  readonly valuesReadable: boolean;
  /** Why the values cannot be read; null when they can. */
  readonly unreadableReason: string | null;
  readonly edits: EntryDiff;
  readonly upstream: EntryDiff;
  readonly conflicts: readonly string[];
}

const NO_CHANGES: EntryDiff = { added: [], changed: [], removed: [] };

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

      \`--json\` prints one object: \`{env, head, workingFile, workingFileExists, checkedOutFrom, merging,
      valuesReadable, edits, upstream, conflicts}\` (docs/cli.md lists each field).
    `,
    examples: [
      ['See what you changed in .env', '$0 status'],
      ['Compare .env with staging', '$0 status --env staging'],
      ['The keys edited in .env, for a script', "$0 status --json | jq -r '.edits.changed[]'"],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print a JSON object' });

  async execute(): Promise<number> {
    const session = await this.openSession();
    const env = await this.environmentName(session.repo);
    const report = await statusReport(session, env);
    if (this.json) this.printJson(report);
    else if (report.unreadableReason !== null)
      this.print(await namesOnlyStatus(session, env, report.unreadableReason));
    else this.print(statusLines(report, coloursFor(this.context.stdout)).join('\n'));
    return 0;
  }
}

async function statusReport(session: Session, env: string): Promise<StatusReport> {
  const state = await readExistingEnvironment(session, env).catch((error: unknown) => {
    if (isEnvSyncError(error, 'E_NOT_RECIPIENT')) return error;
    throw error;
  });
  const saved = await readCheckoutRecord(session.repo);
  const merging = await pendingConflict(session.repo, env);
  const checkedOutFrom = saved?.env ?? null;
  const pending = merging === null ? null : { source: merging.source, keys: merging.keys };
  if (state instanceof EnvSyncError) {
    // Key names are in the clear, values are not: say what can be known.
    const file = workingFile(session.repo);
    return {
      env,
      head: await existingEnvironmentHead(session.repo, env),
      workingFile: file.name,
      workingFileExists: (await readWorkingFileBytes(file)) !== null,
      checkedOutFrom,
      merging: pending,
      valuesReadable: false,
      unreadableReason: state.message,
      edits: NO_CHANGES,
      upstream: NO_CHANGES,
      conflicts: [],
    };
  }
  const view = await viewWorkingFile(session, state);
  const inFile = view.current !== null;
  return {
    env,
    head: state.head,
    workingFile: view.file.name,
    workingFileExists: inFile,
    checkedOutFrom,
    merging: pending,
    valuesReadable: true,
    unreadableReason: null,
    edits: inFile ? inOrder(localEdits(view)) : NO_CHANGES,
    upstream: inFile ? inOrder(upstreamChanges(view)) : NO_CHANGES,
    conflicts: conflictingKeys(view),
  };
}

/** The lists in the order the JSON shape documents them. */
function inOrder({ added, changed, removed }: EntryDiff): EntryDiff {
  return { added, changed, removed };
}

/** For a peer that cannot read the values: key names are in the clear, so say what there is, and why. */
async function namesOnlyStatus(session: Session, env: string, why: string): Promise<string> {
  const head = await existingEnvironmentHead(session.repo, env);
  const keys =
    head === null ? [] : await commitKeys(session, await session.repo.objects.readTyped(head, 'commit'));
  return `On environment ${env}${head === null ? '' : ` at ${head.slice(0, 12)}`}: ${keys.length} key(s)\nValues not readable: ${why}`;
}

/** The report as git-style text: each group of keys with the command that acts on them. */
function statusLines(report: StatusReport, colour: Colors): string[] {
  const { env, workingFile: name } = report;
  const lines = [
    `On environment ${env}${report.head === null ? ' (no commits yet)' : ` at ${report.head.slice(0, 12)}`}`,
  ];
  if (report.merging !== null) {
    const { source, keys } = report.merging;
    lines.push(
      `Merging ${source} into ${env} stopped at conflicting key(s): ${keys.join(', ')}`,
      `  (${finishMergeHint(env, source, keys)})`,
    );
  }
  if (!report.workingFileExists) return [...lines, `No working file ${name}; 'env-sync checkout' writes it`];
  if (report.checkedOutFrom !== env) {
    lines.push(
      report.checkedOutFrom === null
        ? `${name} was never checked out: 'env-sync import' adds its keys to ${env} and removes none`
        : `${name} was checked out from ${report.checkedOutFrom}, not ${env}: 'env-sync import --env ${env}' adds its keys to ${env}`,
    );
  }
  if (!isEmptyDiff(report.upstream)) {
    lines.push(
      `${env} has moved since ${name} was checked out:`,
      `  (use 'env-sync checkout' to bring these into ${name}; 'env-sync import' keeps them too)`,
      ...keyLines(report.upstream, colour),
    );
  }
  if (!isEmptyDiff(report.edits)) {
    lines.push(
      `Changes in ${name} not committed to ${env}:`,
      "  (use 'env-sync import' to commit them, 'env-sync checkout --force' to discard them)",
      ...keyLines(report.edits, colour),
    );
  }
  if (report.conflicts.length > 0) {
    lines.push(
      `Changed both in ${name} and in ${env}: ${colour.red(report.conflicts.join(', '))}`,
      `  (compare with 'env-sync diff ${env} --show-values'; keep one with 'env-sync import --resolve KEY=ours|theirs')`,
    );
  }
  if (isEmptyDiff(report.upstream) && isEmptyDiff(report.edits))
    lines.push(`Working file ${name} matches ${env}`);
  return lines;
}

function keyLines(diff: EntryDiff, colour: Colors): string[] {
  return [
    ...diff.added.map((key) => `\t${colour.green(`added:    ${key}`)}`),
    ...diff.changed.map((key) => `\t${colour.yellow(`changed:  ${key}`)}`),
    ...diff.removed.map((key) => `\t${colour.red(`removed:  ${key}`)}`),
  ];
}
