// Chosen identity names: `init --name` and `clone --name` name the identity they create, a terminal is asked
// on first use, and `identity rename` reaches every peer as a signed event (docs/identity.md#names).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { BIN, runCli } from '../helpers/cli.ts';
import { invite, securePeer, servedGroup } from '../transport/mtls-helpers.ts';

function peers(root: string) {
  const home = (who: string) => path.join(root, `.home-${who}`);
  const run = (who: string, dir: string, args: string[], input?: string) =>
    runCli(args, { cwd: path.join(root, dir), home: home(who), ...(input === undefined ? {} : { input }) });
  const nameIn = (who: string) =>
    JSON.parse(readFileSync(path.join(home(who), 'identity.json'), 'utf8')).name;
  return { home, run, nameIn };
}

t.test(
  'init --name and clone --name name the identity they create; another name for it is refused',
  async (t) => {
    const root = t.testdir({ a: {}, c: {} });
    const p = peers(root);
    t.equal((await p.run('alice', 'a', ['init', '--name', 'alice laptop'])).code, 0);
    t.equal(p.nameIn('alice'), 'alice laptop');
    t.equal((await p.run('bob', '.', ['clone', '--name', 'bob desktop', 'a', 'b'])).code, 0);
    t.equal(p.nameIn('bob'), 'bob desktop');
    t.equal((await p.run('carol', '.', ['clone', '--name', 'Alice Laptop', 'a', 'c2'])).code, 0);
    const request = await p.run('carol', 'c2', ['peer', 'request', '-o', '../carol.req']);
    t.equal(request.code, 1, 'a join request under a held name is refused before it is written');
    t.match(
      request.stderr,
      /^env-sync: the name "Alice Laptop" is already held by [A-Z2-7-]{41} in this group; choose another with: env-sync identity rename <name>\n$/,
    );
    t.notOk(existsSync(path.join(root, 'carol.req')));
    const other = await p.run('alice', 'c', ['init', '--name', 'someone else']);
    t.equal(other.code, 1);
    t.equal(
      other.stderr,
      `env-sync: this machine's identity is named "alice laptop"; to change it run: env-sync identity rename "someone else"\n`,
    );
    t.notOk(existsSync(path.join(root, 'c', '.env-sync')), 'and no repository was made');
    const bad = await p.run('carol', '.', ['clone', '--name', 'bad\u202ename', 'a', 'x']);
    t.equal(bad.code, 2, 'a name that can pass for another is a usage error');
    t.match(bad.stderr, /an identity name is 1 to 128 printable characters/);
    t.equal((await p.run('dave', 'c', ['init'])).code, 0);
    t.equal(
      p.nameIn('dave'),
      `${userInfo().username}@${hostname()}`,
      'without a terminal: user@host, no prompt',
    );
  },
);

/** Runs the CLI on a pseudo-terminal (util-linux `script`), typing `typed` once it has started. */
function onTerminal(cwd: string, home: string, args: string, typed: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', `${process.execPath} ${BIN} ${args}`, '/dev/null'], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: home, ENV_SYNC_HOME: home, TERM: 'dumb' },
    });
    let out = '';
    let asked = false;
    child.stdin.on('error', () => {});
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (!asked && out.includes('name shown to your peers')) {
        asked = true;
        child.stdin.write(typed);
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

t.test('at a terminal the first use asks for the name, offering user@host', async (t) => {
  const root = t.testdir({ a: {}, b: {} });
  const p = peers(root);
  const typed = await onTerminal(path.join(root, 'a'), p.home('erin'), 'init', 'erin at work\r');
  t.match(typed, new RegExp(`name shown to your peers \\[${userInfo().username}@${hostname()}\\]`));
  t.equal(p.nameIn('erin'), 'erin at work');
  await onTerminal(path.join(root, 'b'), p.home('frank'), 'init', '\r');
  t.equal(p.nameIn('frank'), `${userInfo().username}@${hostname()}`, 'Enter takes the default');
});

t.test(
  'identity rename reaches peers as a signed event: peer list, log and history show the new name',
  async (t) => {
    const root = t.testdir({ a: {} });
    const p = peers(root);
    const ok = async (who: string, dir: string, args: string[], input?: string) => {
      const result = await p.run(who, dir, args, input);
      t.equal(
        result.code,
        0,
        `${who}: env-sync ${args.join(' ')}${result.stderr ? `: ${result.stderr}` : ''}`,
      );
      return result.stdout;
    };
    await ok('alice', 'a', ['init', '--name', 'alice']);
    await ok('bob', '.', ['clone', '--name', 'bob', 'a', 'b']);
    await ok('bob', 'b', ['peer', 'request', '-o', '../bob.req']);
    await ok('alice', 'a', ['peer', 'approve', '../bob.req']);
    await ok('bob', 'b', ['pull']);
    await ok('bob', 'b', ['set', 'API_KEY'], 'v1');

    const taken = await p.run('bob', 'b', ['identity', 'rename', 'ALICE']);
    t.equal(taken.code, 1);
    t.match(taken.stderr, /the name "ALICE" is already held by [A-Z2-7-]{41}; names are unique in a group/);
    t.equal(p.nameIn('bob'), 'bob', 'a refused rename changes nothing');

    t.match(
      await ok('bob', 'b', ['identity', 'rename', 'bob desktop']),
      /Renamed [A-Z2-7-]{41} to "bob desktop" in this group/,
    );
    t.equal(p.nameIn('bob'), 'bob desktop');
    await ok('alice', 'a', ['remote', 'add', 'bob', '../b']);
    t.match(await ok('alice', 'a', ['fetch', 'bob']), /members: 1 new event/);
    t.match(await ok('alice', 'a', ['peer', 'list']), /bob desktop\s+approved\s+member/);
    t.match(await ok('alice', 'a', ['log']), /renamed itself "bob desktop"/);
    await ok('alice', 'a', ['merge', 'bob/main']);
    t.match(await ok('alice', 'a', ['history', 'API_KEY']), /bob desktop \(/);
  },
);

t.test(
  'a join with an invitation under a name the group already holds is refused by the inviter',
  async (t) => {
    const { root, alice, served } = await servedGroup(t, { K: 'v' });
    const token = await invite(t, alice, served, ['--approve']);
    const twin = securePeer(root, 'twin');
    const refused = await twin.cli(['clone', '--name', 'ALICE', token, twin.dir], undefined, root);
    t.equal(refused.code, 1);
    t.match(
      refused.stderr,
      /^env-sync: https:\/\/\S+ refused the join: .*the name "ALICE" is already held by [A-Z2-7-]{41}; names are unique in a group; .*choose another with: env-sync identity rename <name>, then run the same clone again\n$/,
    );
    t.notOk(existsSync(twin.dir), 'nothing was cloned');
    t.notMatch((await alice.ok(t, ['peer', 'list'])).stdout, /ALICE/);
    t.equal((await twin.cli(['identity', 'rename', 'twin'], undefined, root)).code, 0);
    const joined = await twin.cli(['clone', token, twin.dir], undefined, root);
    t.equal(joined.code, 0, `the same invitation, under another name: ${joined.stderr}`);
    t.match((await alice.ok(t, ['peer', 'list'])).stdout, /twin\s+approved/);
  },
);
