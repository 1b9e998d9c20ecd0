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
      Masked listing reads only the key names, which are stored in the clear: it works for a peer that cannot
      read the values yet.
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
    // Masked, only the key names are needed: no decryption, so a peer not yet approved can list them too.
    const entries: ReadonlyMap<string, string | null> = this.showValues
      ? (await this.readValues()).entries
      : new Map((await this.readKeyNames()).map((key) => [key, null]));
    if (this.json) {
      this.printJson(Object.fromEntries(entries));
      return 0;
    }
    let text = '';
    for (const [key, value] of entries) {
      text += `${key}=${value === null ? MASK : (encodeDotenvValue(value) ?? JSON.stringify(value))}\n`;
    }
    this.context.stdout.write(text);
    return 0;
  }
}
