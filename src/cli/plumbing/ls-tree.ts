// `env-sync ls-tree`: the key names of a snapshot (or of a commit's snapshot), never the values.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { snapshotKeys } from '../../model/snapshot.ts';
import { resolveRevision } from '../../store/revision.ts';
import { EnvSyncCommand } from '../base-command.ts';

export class LsTreeCommand extends EnvSyncCommand {
  static override paths = [['ls-tree']];
  static override usage = Command.Usage({
    category: 'Plumbing',
    description: 'list the key names of a snapshot',
    details: `
      Prints the key names of a snapshot, one per line in ascending order. A commit stands for its snapshot.
      Values are never printed (use \`get\` or \`export\`); key names are readable even in encrypted snapshots.
    `,
    examples: [
      ['List the keys of the current environment', '$0 ls-tree HEAD'],
      ['List the keys an older commit had', '$0 ls-tree main~3'],
    ],
  });

  revision = Option.String({ name: 'rev' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    let object = await repo.objects.read(await resolveRevision(repo, this.revision));
    if (object.type === 'commit') object = await repo.objects.readTyped(object.snapshot, 'snapshot');
    if (object.type !== 'snapshot')
      throw new EnvSyncError('E_OBJECT_TYPE', `'${this.revision}' is not a commit or snapshot`);
    const keys = snapshotKeys(object);
    if (keys.length > 0) this.print(keys.join('\n'));
    return 0;
  }
}
