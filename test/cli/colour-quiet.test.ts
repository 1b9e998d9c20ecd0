import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { colourWanted } from '../../src/cli/colour.ts';
import { runInTerminal } from '../helpers/cli.ts';
import { makeCliRepo } from '../store/cli-repo.ts';
import { initPeer, peer } from '../sync/helpers.ts';

const home = `${t.testdir()}/home`;
const RED = '\x1b[31m';
const GREEN = '\x1b[32m';

t.test('colour only on a terminal, never with NO_COLOR, always with FORCE_COLOR', async (t) => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  t.equal(colourWanted(tty, {}), true);
  t.equal(colourWanted(pipe, {}), false);
  t.equal(colourWanted(tty, { NO_COLOR: '1' }), false);
  t.equal(colourWanted(tty, { NO_COLOR: '' }), true, 'an empty NO_COLOR counts for nothing');
  t.equal(colourWanted(pipe, { FORCE_COLOR: '1' }), true);
  t.equal(colourWanted(pipe, { FORCE_COLOR: '0' }), false);
  t.equal(colourWanted(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }), false, 'NO_COLOR wins');
});

t.test('diff and status colour removed keys red and added keys green, and only when asked', async (t) => {
  const repo = await makeCliRepo(t, home);
  await repo.ok(t, ['set', 'OLD'], { input: '1\n' });
  await repo.ok(t, ['checkout']);
  writeFileSync(path.join(repo.cwd, '.env'), 'NEW=2\n');
  const forced = { env: { FORCE_COLOR: '1' } };
  const diff = await repo.ok(t, ['diff'], forced);
  t.match(diff, `${RED}-OLD=********`);
  t.match(diff, `${GREEN}+NEW=********`);
  const status = await repo.ok(t, ['status'], forced);
  t.match(status, `${GREEN}added:    NEW`);
  t.match(status, `${RED}removed:  OLD`);
  t.notMatch(await repo.ok(t, ['diff']), '\x1b[', 'a pipe gets no colour');
  // Node itself warns on stderr that it ignores NO_COLOR there; env-sync does not.
  const both = await repo.run(['diff'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
  t.notMatch(both.stdout, '\x1b[', 'NO_COLOR wins over FORCE_COLOR');
  t.notMatch(await repo.ok(t, ['--no-color', 'diff'], forced), '\x1b[', '--no-color before the command');
  t.notMatch(await repo.ok(t, ['diff', '--no-color'], forced), '\x1b[', 'or after it');
  const terminal = await runInTerminal(['diff'], { cwd: repo.cwd, home });
  t.match(terminal.stdout, `${RED}-OLD=********`, 'a terminal gets colour');
  const plain = await runInTerminal(['diff'], { cwd: repo.cwd, home, env: { NO_COLOR: '1' } });
  t.notMatch(plain.stdout, '\x1b[');
});

t.test('--quiet leaves out what fetch, pull and push report, not their errors', async (t) => {
  const root = t.testdir();
  const a = await initPeer(root, 'a');
  await a.commit({ K: '1' });
  const b = peer(root, 'b');
  await b.ok(t, ['clone', a.dir, b.dir]);
  await a.commit({ K: '2' });
  for (const args of [
    ['fetch', '-q'],
    ['pull', '--quiet'],
    ['push', '-q'],
  ]) {
    const result = await b.ok(t, args);
    t.same([result.stdout, result.stderr], ['', ''], `${args.join(' ')} prints nothing`);
  }
  t.same(await b.entries(), { K: '2' }, 'and still did its work');
  const refused = await b.cli(['fetch', '-q', 'nowhere']);
  t.same(
    [refused.code, refused.stderr],
    [1, "env-sync: no remote named 'nowhere'; see 'env-sync remote list'\n"],
  );
});
