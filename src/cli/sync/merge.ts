// `env-sync merge <remote>/<env>`: three-way, per-key merge of a fetched branch into the local environment.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { type BranchMerge, mergeIntoBranch, type Resolution } from '../../model/merge.ts';
import { shortId } from '../../store/object-id.ts';
import { resolveRevision } from '../../store/revision.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { formatMove } from './connect.ts';

export const MERGE_DETAILS = `
      Merges per key against the merge base (the newest common ancestor): a key changed on one side takes that
      change; changed the same way on both sides, it is taken once; changed differently on both sides (or changed
      on one and deleted on the other) it is a conflict. When the local environment has no commits of its own
      since the base, the branch simply fast-forwards.

      Conflicts are listed by key name only, never by value, and the branch does not move. Resolve them by
      running the merge again with \`--ours\` (keep this side's value for every conflicting key), \`--theirs\`
      (take the remote's), or \`--resolve KEY=ours|theirs\` per key (repeatable; it takes precedence). To give a
      key a new value, set it locally first (a new local commit) and merge again with \`--resolve KEY=ours\`.
      Keys that do not conflict are merged either way; a merge never drops a value silently.
`;

export class MergeCommand extends EnvSyncCommand {
  static override paths = [['merge']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'merge a fetched branch into the local environment of the same name',
    details: `
      \`merge <remote>/<env>\` merges \`refs/remotes/<remote>/<env>\` (or any revision, with \`--into <env>\`) into
      the local environment \`<env>\` (\`refs/heads/<env>\`), creating it if it does not exist.
      ${MERGE_DETAILS}
      Prints \`<env>: <old>..<new>\` and how the merge went (fast-forward, merge commit, number of keys changed).
    `,
    examples: [
      ['Merge what fetch brought from origin', '$0 merge origin/main'],
      ['Keep our value for every conflicting key', '$0 merge origin/main --ours'],
      ['Decide per key', '$0 merge origin/main --resolve API_KEY=theirs --resolve DB_URL=ours'],
    ],
  });

  ours = Option.Boolean('--ours', false, { description: 'resolve every conflict with our value' });
  theirs = Option.Boolean('--theirs', false, { description: 'resolve every conflict with their value' });
  resolve = Option.Array('--resolve', [], { description: 'KEY=ours or KEY=theirs for one conflicting key' });
  into = Option.String('--into', { description: 'the local environment to merge into' });
  source = Option.String({ name: 'remote/env' });

  async execute(): Promise<number> {
    const session = await this.openSession();
    const env = this.into ?? envOf(this.source);
    const theirs = await resolveRevision(session.repo, this.source);
    const result = await mergeIntoBranch(session, env, theirs, this.source, resolverFrom(this));
    this.print(describeMerge(env, result));
    return 0;
  }
}

export function envOf(source: string): string {
  const parts = source.split('/');
  if (parts.length !== 2 || parts[1] === '') {
    throw new EnvSyncError(
      'E_USAGE',
      `say which environment to merge into: '<remote>/<env>' or --into <env>`,
    );
  }
  return parts[1]!;
}

export function resolverFrom(options: {
  ours: boolean;
  theirs: boolean;
  resolve: readonly string[] | undefined;
}): (key: string) => Resolution | undefined {
  if (options.ours && options.theirs)
    throw new EnvSyncError('E_USAGE', '--ours and --theirs exclude each other');
  const perKey = new Map<string, Resolution>();
  for (const rule of options.resolve ?? []) {
    const match = /^([^=]+)=(ours|theirs)$/.exec(rule);
    if (match === null) throw new EnvSyncError('E_USAGE', '--resolve takes KEY=ours or KEY=theirs');
    perKey.set(match[1]!, match[2] as Resolution);
  }
  const all: Resolution | undefined = options.ours ? 'ours' : options.theirs ? 'theirs' : undefined;
  return (key) => perKey.get(key) ?? all;
}

export function describeMerge(env: string, result: BranchMerge): string {
  if (result.kind === 'up-to-date') return `${env}: already up to date at ${shortId(result.new)}`;
  const keys = `${result.changed.length} key(s) changed`;
  const how =
    result.kind === 'merged'
      ? `merge commit, ${keys}${result.resolved.length > 0 ? `, ${result.resolved.length} conflict(s) resolved` : ''}`
      : result.kind === 'created'
        ? `created, ${result.changed.length} key(s)`
        : result.newlyReadable
          ? `fast-forward, values now readable: ${result.changed.length} key(s)`
          : `fast-forward, ${keys}`;
  return `${formatMove(env, result.old, result.new)} (${how})`;
}
