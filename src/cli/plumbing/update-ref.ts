// `env-sync update-ref`: move or delete a ref safely (compare-and-swap on the old value, logged).

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import type { ObjectId } from '../../store/object-id.ts';
import { MEMBERS_REF } from '../../store/ref-names.ts';
import { resolveRevision } from '../../store/revision.ts';
import { EnvSyncCommand } from '../base-command.ts';

export class UpdateRefCommand extends EnvSyncCommand {
  static override paths = [['update-ref']];
  static override usage = Command.Usage({
    category: 'Plumbing',
    description: 'update or delete a ref, checking its old value',
    details: `
      \`update-ref <ref> <new> [<old>]\` points \`<ref>\` at \`<new>\`. When \`<old>\` is given the update happens only
      if the ref still holds \`<old>\` (an all-zero id means "must not exist"); otherwise it fails and nothing
      changes. \`-d <ref> [<old>]\` deletes the ref. Branches (\`refs/heads/*\`, \`refs/remotes/*\`) must point at a
      commit and \`refs/members\` (secure-peer only) at an event. Every update is appended to the reflog with \`-m <reason>\`.
    `,
    examples: [
      ['Move main to a commit', '$0 update-ref -m "restore" refs/heads/main 3f2a9c…'],
      ['Move main only if nobody moved it meanwhile', '$0 update-ref refs/heads/main <new> <old>'],
      ['Delete a remote-tracking ref', '$0 update-ref -d refs/remotes/origin/main'],
    ],
  });

  reason = Option.String('-m', 'update-ref', { description: 'reason recorded in the reflog' });
  delete = Option.Boolean('-d', false, { description: 'delete the ref' });
  args = Option.Rest({ required: 1 });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    const [ref, ...rest] = this.args as [string, ...string[]];
    const maxArgs = this.delete ? 1 : 2;
    if (rest.length > maxArgs || (!this.delete && rest.length === 0)) {
      throw new EnvSyncError(
        'E_USAGE',
        this.delete ? 'usage: update-ref -d <ref> [<old>]' : 'usage: update-ref <ref> <new> [<old>]',
      );
    }
    const peer = await this.currentPeerId();
    const oldArg = this.delete ? rest[0] : rest[1];
    const expected =
      oldArg === undefined ? undefined : await resolveOld(oldArg, (rev) => resolveRevision(repo, rev));
    if (this.delete) {
      await repo.refs.delete(ref, { peer, reason: this.reason, expected });
      return 0;
    }
    const next = await resolveRevision(repo, rest[0]!);
    const target = await repo.refs.resolveName(ref);
    // Outside secure-peer a membership chain would claim the group was created as secure-peer (an edit).
    if (target === MEMBERS_REF && repo.mode !== 'secure-peer') {
      throw new EnvSyncError(
        'E_MODE',
        `refs/members holds a secure-peer membership chain; this repository is ${repo.mode}`,
      );
    }
    const object = await repo.objects.read(next);
    const wanted =
      target === MEMBERS_REF
        ? 'event'
        : target.startsWith('refs/heads/') || target.startsWith('refs/remotes/')
          ? 'commit'
          : null;
    if (wanted !== null && object.type !== wanted) {
      throw new EnvSyncError('E_OBJECT_TYPE', `${target} must point at a ${wanted}, not a ${object.type}`);
    }
    await repo.refs.update(ref, next, { peer, reason: this.reason, expected });
    return 0;
  }
}

async function resolveOld(
  text: string,
  resolve: (rev: string) => Promise<ObjectId>,
): Promise<ObjectId | null> {
  return /^0+$/.test(text) ? null : resolve(text);
}
