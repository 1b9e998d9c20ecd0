// `env-sync show-ref`: list refs and the ids they hold.

import { Command, Option } from 'clipanion';
import { EnvSyncCommand } from '../base-command.ts';

export class ShowRefCommand extends EnvSyncCommand {
  static override paths = [['show-ref']];
  static override usage = Command.Usage({
    category: 'Plumbing',
    description: 'list refs with the object ids they point to',
    details: `
      Prints \`<id> <ref>\` for every ref under \`refs/\`, sorted by name (HEAD is not listed; use
      \`rev-parse HEAD\`). With \`--json\`, prints an array of \`{"name", "id"}\` objects. Exits 1 when there are
      no refs, like git.
    `,
    examples: [
      ['List every ref', '$0 show-ref'],
      ['List refs for a script', '$0 show-ref --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    const refs = await repo.refs.list();
    if (this.json) this.printJson(refs);
    else if (refs.length > 0) this.print(refs.map((ref) => `${ref.id} ${ref.name}`).join('\n'));
    return refs.length === 0 && !this.json ? 1 : 0;
  }
}
