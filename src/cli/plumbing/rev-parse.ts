// `env-sync rev-parse`: turn revisions into full object ids, one per line.

import { Command, Option } from 'clipanion';
import { resolveRevision } from '../../store/revision.ts';
import { EnvSyncCommand } from '../base-command.ts';

export class RevParseCommand extends EnvSyncCommand {
  static override paths = [['rev-parse']];
  static override usage = Command.Usage({
    category: 'Plumbing',
    description: 'print the object ids that revisions name',
    details: `
      Each revision is \`HEAD\`, an environment (\`main\`), a full ref (\`refs/heads/main\`), a remote branch
      (\`origin/main\`), a full id or a unique hex prefix of at least 4 characters, followed by any number of
      \`~N\` (N-th first-parent ancestor), \`^\` (first parent) or \`^N\` (N-th parent). An ambiguous prefix is an
      error that lists the candidates.
    `,
    examples: [
      ['Print the id of the current commit', '$0 rev-parse HEAD'],
      ['Print the grandparent of main and a remote branch', '$0 rev-parse main~2 origin/main'],
    ],
  });

  revisions = Option.Rest({ required: 1 });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    const ids: string[] = [];
    for (const revision of this.revisions) ids.push(await resolveRevision(repo, revision));
    this.print(ids.join('\n'));
    return 0;
  }
}
