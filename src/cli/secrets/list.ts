// `env-sync list`: the keys of an environment, values masked unless asked for.

import { Command, Option } from 'clipanion';
import { encodeDotenvValue } from '../../dotenv/index.ts';
import { ReadingCommand } from './reading-command.ts';
import { MASK } from './secrets-command.ts';

export class ListCommand extends ReadingCommand {
  static override paths = [['list']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: "list an environment's keys, values masked",
    details: `
      Prints one \`KEY=${MASK}\` line per key, sorted by name. Values stay masked (with a fixed-width mask that
      does not reveal their length) unless \`--show-values\` is given; then each value is written as in a \`.env\`
      file, or as a JSON string when \`.env\` cannot hold it.

      \`--json\` prints one object mapping each key to its value, or to \`null\` while values are masked.
    `,
    examples: [
      ['List the keys of main', '$0 list'],
      ['Show the values of staging', '$0 list --env staging --show-values'],
      ['Key names for a script', "$0 list --json | jq -r 'keys[]'"],
    ],
  });

  showValues = Option.Boolean('--show-values', false, { description: 'print the values instead of masks' });
  json = Option.Boolean('--json', false, { description: 'print a JSON object' });

  async execute(): Promise<number> {
    const state = await this.readValues();
    if (this.json) {
      const object: Record<string, string | null> = {};
      for (const [key, value] of state.entries) object[key] = this.showValues ? value : null;
      this.printJson(object);
      return 0;
    }
    let text = '';
    for (const [key, value] of state.entries) {
      text += `${key}=${this.showValues ? (encodeDotenvValue(value) ?? JSON.stringify(value)) : MASK}\n`;
    }
    this.context.stdout.write(text);
    return 0;
  }
}
