import t from 'tap';
import { commandHelps, renderHelp } from '../../src/cli/command-help.ts';
import { GLOBAL_OPTIONS } from '../../src/cli/global-options.ts';
import { buildCli } from '../../src/cli/main.ts';
import { textBlocks } from '../../src/cli/markdownish.ts';
import { allCommands } from '../../src/cli/registry.ts';
import { makeCliRepo } from '../store/cli-repo.ts';

const home = `${t.testdir()}/home`;

t.test(
  'every command has a help whose usage line names each option, its value and the arguments',
  async (t) => {
    const commands = await allCommands();
    const helps = commandHelps(buildCli(commands), commands);
    t.ok(helps.length > 50, 'every command has one');
    const problems: string[] = [];
    for (const help of helps) {
      const text = renderHelp(help);
      const usage = text.slice(0, text.indexOf('\n\n')).replace(/\s+/g, ' ');
      const expect = (ok: boolean, what: string) => ok || problems.push(`${help.name}: ${what}`);
      expect(!/#\d/.test(text), 'an unnamed option value');
      expect(usage.startsWith(`usage: env-sync ${help.name}`), 'no usage line');
      for (const option of help.options) expect(usage.includes(option.short), `${option.short} not in usage`);
      expect(usage.endsWith(help.operands), 'arguments not last');
      for (const [flags] of GLOBAL_OPTIONS) expect(text.includes(`\n  ${flags}`), `global ${flags} missing`);
      for (const line of text.split('\n')) {
        expect(line.length <= 80 || line.startsWith('    $ '), `line too long: ${line}`);
      }
    }
    t.same(problems, []);
  },
);

t.test('options with a value name it: --env <name>, -n <count>, -o <file>', async (t) => {
  const commands = await allCommands();
  const helps = new Map(commandHelps(buildCli(commands), commands).map((help) => [help.name, help]));
  t.equal(helps.get('history')?.synopsis, 'env-sync history [--env <name>] [--json] [-n <count>] [<key>]');
  t.equal(helps.get('run')?.synopsis, 'env-sync run [--env <name>] [--rev <rev>] [--] <command> [<arg>...]');
  t.same(
    helps.get('export')?.options.map((option) => option.flags),
    ['--env <name>', '--rev <rev>', '--format <format>', '-o, --output <file>', '--gitignore'],
  );
});

t.test('list items in details stay apart, each on its own lines, whatever the source wrapping', async (t) => {
  const blocks = textBlocks(`
      Writes:

      - \`dotenv\`: lines that a parser reads back
        exactly, even when wrapped.
      - \`json\`: one object.

      A last paragraph
      on two lines.
  `);
  t.same(blocks, [
    { kind: 'paragraph', text: 'Writes:' },
    { kind: 'item', text: '`dotenv`: lines that a parser reads back exactly, even when wrapped.' },
    { kind: 'item', text: '`json`: one object.' },
    { kind: 'paragraph', text: 'A last paragraph on two lines.' },
  ]);
});

t.test('`<command> --help`, `<command> -h` and `help <command>` print the same help', async (t) => {
  const repo = await makeCliRepo(t, home);
  const help = await repo.ok(t, ['export', '--help']);
  t.match(
    help.replace(/\s+/g, ' '),
    /^usage: env-sync export \[--env <name>\] \[--rev <rev>\] \[--format <format>\] \[-o <file>\]/,
  );
  t.match(help, /\n {2}- `json`: one JSON object\.\n/, 'the list of formats reads as a list');
  t.equal(await repo.ok(t, ['help', 'export']), help);
  t.equal(await repo.ok(t, ['export', '-h']), help);
  t.equal(await repo.ok(t, ['env', 'list', '--help']), await repo.ok(t, ['help', 'env', 'list']));
  const run = await repo.run(['run', '--', 'sh', '-c', 'printf %s "$1"', 'sh', '--help']);
  t.equal(run.stdout, '--help', 'a --help after -- belongs to the command run');
});

t.test('`--help` and `help` list every command by workflow, porcelain first, plumbing last', async (t) => {
  const repo = await makeCliRepo(t, home);
  const listing = await repo.ok(t, ['--help']);
  t.equal(await repo.ok(t, ['help']), listing);
  t.match(
    listing,
    /^usage: env-sync \[-C <path>\] \[--debug\] \[--no-color\] <command> \[<args>\]\n\nPorcelain\n/,
  );
  const order = ['Porcelain', 'Sync', 'Membership', 'Identity', 'Plumbing', 'Help', 'Global options'];
  const at = order.map((title) => listing.indexOf(`\n${title}\n`));
  t.same(
    [...at].sort((a, b) => a - b),
    at,
    'sections in order',
  );
  t.notOk(at.includes(-1), 'every section');
  t.match(listing, '\n  env-sync history [--env <name>] [--json] [-n <count>] [<key>]\n');
  t.notMatch(listing, /#\d/);
  t.same(
    listing.split('\n').filter((line) => line.length > 80),
    [],
    'no line wider than 80',
  );
});
