// `env-sync commit-tree`: make a commit object from a snapshot and parents; print its id. No ref moves.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import type { ObjectId } from '../../store/object-id.ts';
import { resolveRevision } from '../../store/revision.ts';
import { EnvSyncCommand } from '../base-command.ts';

export class CommitTreeCommand extends EnvSyncCommand {
  static override paths = [['commit-tree']];
  static override usage = Command.Usage({
    category: 'Plumbing',
    description: 'create a commit object from a snapshot',
    details: `
      Writes a commit whose snapshot is \`<snapshot>\`, with one \`-p <parent>\` per parent (each must be a
      commit), authored by this peer now, and prints its id. No ref is moved: use \`update-ref\` for that.
      The commit records the current tip of the membership chain, if any.
    `,
    examples: [
      [
        'Commit a snapshot on top of main and move main to it',
        '$0 update-ref refs/heads/main $($0 commit-tree <snapshot> -p main -m "rotate key")',
      ],
    ],
  });

  parents = Option.Array('-p', [], { description: 'a parent commit (repeatable)' });
  message = Option.String('-m', { required: true, description: 'commit message' });
  snapshot = Option.String({ name: 'snapshot' });

  async execute(): Promise<number> {
    const session = await this.openSession();
    const { repo } = session;
    const snapshot = await resolveRevision(repo, this.snapshot);
    await repo.objects.readTyped(snapshot, 'snapshot');
    const parents: ObjectId[] = [];
    for (const parent of this.parents) {
      const id = await resolveRevision(repo, parent);
      await repo.objects.readTyped(id, 'commit');
      if (parents.includes(id)) throw new EnvSyncError('E_USAGE', `parent ${parent} given twice`);
      parents.push(id);
    }
    const { writeCommit } = await import('../../model/environment.ts');
    const id = await writeCommit(session, { snapshot, parents, message: this.message });
    this.print(id);
    return 0;
  }
}
