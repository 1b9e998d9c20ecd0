import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Builtins } from 'clipanion';
import t from 'tap';
import { buildCli } from '../../src/cli/main.ts';
import { renderManPages } from '../../src/cli/man-pages.ts';
import { allCommands, commandsFor } from '../../src/cli/registry.ts';
import { VERSION } from '../../src/cli/version.ts';
import { ROOT } from '../helpers/cli.ts';

const manDir = path.join(ROOT, 'man');
const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

t.test('every command documents itself: description, details and at least one example', async (t) => {
  for (const command of await allCommands()) {
    if (command === Builtins.HelpCommand || command === Builtins.VersionCommand) continue;
    const usage = command.usage;
    const name = command.paths?.[0]?.join(' ') ?? command.name;
    t.ok(usage?.description, `${name} has a description`);
    t.ok(usage?.details, `${name} has details`);
    t.ok((usage?.examples?.length ?? 0) > 0, `${name} has examples`);
  }
});

t.test('man/ holds exactly the generated pages, none missing and none stale', async (t) => {
  t.equal(VERSION === '0.0.0-dev' ? version : VERSION, version);
  const commands = await allCommands();
  const pages = renderManPages(buildCli(commands), commands, version);
  const onDisk = readdirSync(manDir)
    .filter((file) => file.endsWith('.1'))
    .sort();
  t.same(onDisk, [...pages.keys()].sort(), 'one page per command (run `npm run man` to regenerate)');
  for (const [name, text] of pages) {
    const file = path.join(manDir, name);
    const current = onDisk.includes(name) ? readFileSync(file, 'utf8') : '';
    t.equal(current, text, `man/${name} is up to date (run \`npm run man\`)`);
  }
});

t.test(
  'the lazy registry finds every command from its first word, and loads only the commands of that word',
  async (t) => {
    const all = await allCommands();
    const firstWordOf = (command: (typeof all)[number]) => (command.paths ?? []).map((path) => path[0]);
    const words = new Set(all.flatMap(firstWordOf).filter((w) => w !== undefined));
    for (const word of words) {
      if (word === 'help' || word.startsWith('-')) continue;
      const loaded = await commandsFor([word]);
      const reachable = loaded.filter((command) => firstWordOf(command).includes(word));
      const expected = all.filter((command) => firstWordOf(command).includes(word));
      t.same(
        reachable.map((command) => command.name).sort(),
        expected.map((command) => command.name).sort(),
        `env-sync ${word} registers every command that starts with it`,
      );
      t.ok(loaded.length < all.length, `and env-sync ${word} does not load every command`);
    }
    t.same(await commandsFor(['no-such-command']), all, 'an unknown word loads every command');
  },
);
