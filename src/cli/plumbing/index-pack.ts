// `env-sync index-pack`: rebuild the index of a pack whose index was lost (git's index-pack).

import path from 'node:path';
import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { indexPack } from '../../store/pack-verify.ts';
import { EnvSyncCommand } from '../base-command.ts';

export class IndexPackCommand extends EnvSyncCommand {
  static override paths = [['index-pack']];
  static override usage = Command.Usage({
    category: 'Plumbing',
    description: 'rebuild the index of a pack in objects/pack',
    details: `
      Reads \`<pack>\` (a \`pack-<checksum>.pack\` file in this repository's \`.env-sync/objects/pack\`) from end
      to end, checks its checksum, its name and every entry, and writes its index \`pack-<checksum>.idx\` beside
      it (atomically, 0600). \`fsck\` names the command when a pack that refs need has lost its index. Prints
      \`indexed <n> objects\`.
    `,
    examples: [['Rebuild a lost index', '$0 index-pack .env-sync/objects/pack/pack-3f2a….pack']],
  });

  pack = Option.String({ name: 'pack' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    const file = path.resolve(this.pack);
    const name = path.basename(file, '.pack');
    if (
      path.dirname(file) !== repo.objects.packDir ||
      !/^pack-[0-9a-f]{64}$/.test(name) ||
      !file.endsWith('.pack')
    )
      throw new EnvSyncError(
        'E_USAGE',
        `${this.pack}: not a pack file of this repository (objects/pack/pack-<checksum>.pack)`,
      );
    const count = await indexPack(repo.objects.packDir, name);
    this.print(`indexed ${count} objects`);
    return 0;
  }
}
