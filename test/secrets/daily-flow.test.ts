// The README's daily flow with two peers syncing over local paths: checkout, edit, status, import, set,
// pull. No step may revert a teammate's value, write to another environment than the current one, leave
// the user without a way forward, or blank a value by accident.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import t from 'tap';
import { BIN, freshDir, runCli } from '../helpers/cli.ts';
import { type Person, person } from './people.ts';

/** Alice founds the repository with `.env` holding `initial`; Bob clones it and checks it out. */
async function team(t: Test, initial: string): Promise<{ alice: Person; bob: Person }> {
  const root = freshDir();
  const alice = person(root, 'alice');
  const bob = person(root, 'bob');
  mkdirSync(alice.dir);
  await alice.ok(t, ['init', '--mode', 'trusted-owner-ssh']);
  writeFileSync(alice.envFile, initial, { mode: 0o600 });
  await alice.ok(t, ['import']);
  const clone = await runCli(['clone', '--checkout', alice.dir, 'bob'], {
    cwd: root,
    home: path.join(root, '.home-bob'),
  });
  t.equal(clone.code, 0, `bob clones alice: ${clone.stderr}`);
  return { alice, bob };
}

t.test("import after a teammate's change keeps it and brings it into .env", async (t) => {
  const { alice, bob } = await team(t, '# the app\nexport PORT=5000\n\nAPI_KEY=abc # from the vendor\n');
  await alice.ok(t, ['checkout']);
  await bob.ok(t, ['set', 'PORT'], '7000\n');
  await bob.ok(t, ['push', 'origin']);

  const status = await alice.ok(t, ['status']);
  t.match(status.stdout, /main has moved since \.env was checked out:\n.*\n\tchanged: {2}PORT/);
  t.notMatch(status.stdout, /not committed/, 'an untouched file holds no edits of hers');

  const imported = await alice.ok(t, ['import']);
  t.match(imported.stdout, /Updated \.env with 1 key\(s\) changed in main: PORT/);
  t.equal((await alice.ok(t, ['get', 'PORT'])).stdout, '7000\n', "Bob's value is not reverted");
  t.equal(
    readFileSync(alice.envFile, 'utf8'),
    '# the app\nexport PORT=7000\n\nAPI_KEY=abc # from the vendor\n',
    'the file follows, its layout kept',
  );

  writeFileSync(alice.envFile, '# the app\nexport PORT=7000\n\nAPI_KEY=rotated # from the vendor\n');
  await bob.ok(t, ['set', 'NEW_FLAG=on']);
  await bob.ok(t, ['push', 'origin']);
  const merged = await alice.ok(t, ['import']);
  t.match(
    merged.stdout,
    /^\[main [0-9a-f]{12}\] Import \.env: change API_KEY$/m,
    'her edit alone is committed',
  );
  t.same(
    (await alice.ok(t, ['list', '--json', '--show-values'])).stdout,
    JSON.stringify({ API_KEY: 'rotated', NEW_FLAG: 'on', PORT: '7000' }, null, 2) + '\n',
  );
});

t.test(
  'a key changed in .env and upstream is a conflict named by key until one side is chosen',
  async (t) => {
    const { alice, bob } = await team(t, 'PORT=5000\nHOST=db\n');
    await alice.ok(t, ['checkout']);
    await bob.ok(t, ['set', 'PORT'], '7000\n');
    await bob.ok(t, ['push', 'origin']);
    writeFileSync(alice.envFile, 'PORT=6000\nHOST=db2\n');

    const status = await alice.ok(t, ['status']);
    t.match(status.stdout, /Changed both in \.env and in main: PORT/);
    const refused = await alice.cli(['import']);
    t.equal(refused.code, 1);
    t.match(
      refused.stderr,
      /1 key\(s\) changed both in \.env and in main since checkout: PORT; nothing changed/,
    );
    t.match(refused.stderr, /--resolve PORT=ours/);
    t.notMatch(refused.stderr, /6000|7000/, 'values never appear in the message');
    t.equal((await alice.ok(t, ['get', 'PORT'])).stdout, '7000\n', 'nothing was committed');
    const both = await alice.ok(t, ['diff', 'main', '--show-values']);
    t.match(both.stdout, /-PORT=7000\n\+PORT=6000\n/, 'diff shows both values');

    await alice.ok(t, ['import', '--resolve', 'PORT=ours']);
    t.equal((await alice.ok(t, ['get', 'PORT'])).stdout, '6000\n');
    t.equal((await alice.ok(t, ['get', 'HOST'])).stdout, 'db2\n');
  },
);

t.test('after checkout --env staging, set and import change staging, not main', async (t) => {
  const { alice } = await team(t, 'A=1\n');
  await alice.ok(t, ['env', 'create', 'staging', '--from', 'main']);
  await alice.ok(t, ['checkout', '--env', 'staging']);
  t.match((await alice.ok(t, ['status'])).stdout, /^On environment staging/);
  const set = await alice.ok(t, ['set', 'ONLY_STAGING=1']);
  t.match(set.stdout, /^\[staging [0-9a-f]{12}\] Add ONLY_STAGING$/m);
  writeFileSync(alice.envFile, 'A=1\nNEW=x\n');
  const imported = await alice.ok(t, ['import']);
  t.match(imported.stdout, /^\[staging [0-9a-f]{12}\] Import \.env: add NEW$/m);
  t.same(JSON.parse((await alice.ok(t, ['list', '--json'])).stdout), {
    A: null,
    NEW: null,
    ONLY_STAGING: null,
  });
  t.same(JSON.parse((await alice.ok(t, ['list', '--env', 'main', '--json'])).stdout), { A: null });
  t.equal((await alice.ok(t, ['env', 'list'])).stdout, '  main\n* staging\n');
});

t.test('init, import, set, checkout: an untouched file is brought up to date, no dead end', async (t) => {
  const root = freshDir();
  const alice = person(root, 'alice');
  mkdirSync(alice.dir);
  await alice.ok(t, ['init', '--mode', 'trusted-owner-ssh']);
  writeFileSync(alice.envFile, 'A=1\n', { mode: 0o600 });
  await alice.ok(t, ['import']);
  await alice.ok(t, ['set', 'NEW_KEY'], 'value\n');
  const status = await alice.ok(t, ['status']);
  t.match(status.stdout, /main has moved since \.env was checked out:\n.*\n\tadded: {4}NEW_KEY/);
  t.notMatch(status.stdout, /removed/, 'the key just set is not called removed');
  await alice.ok(t, ['checkout']);
  t.equal(readFileSync(alice.envFile, 'utf8'), 'A=1\nNEW_KEY=value\n');
  t.match((await alice.ok(t, ['status'])).stdout, /Working file \.env matches main/);
});

t.test('deleting a line from .env and importing removes the key', async (t) => {
  const { bob } = await team(t, 'KEEP=1\nGONE=2\n');
  writeFileSync(bob.envFile, 'KEEP=1\n');
  t.match((await bob.ok(t, ['status'])).stdout, /removed: {2}GONE/);
  const imported = await bob.ok(t, ['import']);
  t.match(imported.stdout, /Import \.env: remove GONE/);
  t.same(JSON.parse((await bob.ok(t, ['list', '--json'])).stdout), { KEEP: null });
  t.match((await bob.ok(t, ['status'])).stdout, /matches main/);
});

t.test('set refuses an empty value from a failed pipe and keeps the secret', async (t) => {
  const { alice } = await team(t, 'DB_URL=postgres://real\n');
  for (const input of ['', '\n']) {
    const refused = await alice.cli(['set', 'DB_URL'], input);
    t.equal(refused.code, 1);
    t.match(
      refused.stderr,
      /^env-sync: the value on stdin is empty .*DB_URL keeps its value.*--allow-empty DB_URL\n$/,
    );
  }
  t.equal((await alice.ok(t, ['get', 'DB_URL'])).stdout, 'postgres://real\n');
  await alice.ok(t, ['set', '--allow-empty', 'DB_URL'], '');
  t.equal((await alice.ok(t, ['get', 'DB_URL'])).stdout, '\n', '--allow-empty sets it on purpose');
});

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

t.test(
  'the prompt names an existing value, refuses a bare Enter and a pasted line break',
  { skip: hasScript ? false : 'script(1) is not installed' },
  async (t) => {
    const { alice } = await team(t, 'TOKEN=old\n');
    // script(1) runs the command on a terminal; keys are typed once the prompt shows, as a person would.
    const typed = (keys: string) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const command = `env -u NODE_OPTIONS '${process.execPath}' '${BIN}' set TOKEN`;
        const child = spawn('script', ['-qec', command, '/dev/null'], {
          cwd: alice.dir,
          env: { PATH: process.env.PATH ?? '', HOME: alice.home, ENV_SYNC_HOME: alice.home },
        });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('): ') && !child.stdin.writableEnded) child.stdin.end(keys);
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, output });
        });
      });
    const enter = await typed('\r');
    t.equal(enter.code, 1);
    t.match(enter.output, /Value for TOKEN \(main, replaces its current value\): /);
    t.match(enter.output, /no value typed; nothing changed and TOKEN keeps its value/);
    const pasted = await typed('line one\rline two\r');
    t.not(pasted.code, 0);
    t.match(pasted.output, /the pasted value holds a line break; nothing changed/);
    t.notMatch(pasted.output, /line one|line two/, 'the pasted value is not echoed');
    t.equal((await alice.ok(t, ['get', 'TOKEN'])).stdout, 'old\n');
    t.equal((await typed('new\r')).code, 0);
    t.equal((await alice.ok(t, ['get', 'TOKEN'])).stdout, 'new\n');
  },
);

t.test(
  'a refused pull names both commands, and status remembers the conflict until it is resolved',
  async (t) => {
    const { alice, bob } = await team(t, 'PORT=5000\n');
    await alice.ok(t, ['set', 'PORT'], '6000\n');
    await bob.ok(t, ['set', 'PORT'], '7000\n');
    const pull = await bob.cli(['pull']);
    t.equal(pull.code, 1);
    t.match(pull.stderr, /1 conflicting key\(s\): PORT; main was not changed/);
    t.match(pull.stderr, /'env-sync diff main origin\/main --show-values'/);
    t.match(pull.stderr, /'env-sync merge origin\/main --resolve PORT=ours\|theirs'/);
    t.notMatch(pull.stderr, /6000|7000/);

    const status = await bob.ok(t, ['status']);
    t.match(status.stdout, /Merging origin\/main into main stopped at conflicting key\(s\): PORT\n/);
    const both = await bob.ok(t, ['diff', 'main', 'origin/main', '--show-values']);
    t.equal(both.stdout, '--- main\n+++ origin/main\n-PORT=7000\n+PORT=6000\n');

    await bob.ok(t, ['merge', 'origin/main', '--resolve', 'PORT=theirs']);
    t.equal((await bob.ok(t, ['get', 'PORT'])).stdout, '6000\n');
    t.notMatch((await bob.ok(t, ['status'])).stdout, /conflicting/, 'the merge finished');
  },
);
