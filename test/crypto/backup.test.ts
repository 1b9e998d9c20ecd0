// Backups through the CLI: one passphrase-encrypted file that the stock `age` and `tar` open, restored on a
// "new machine" (a fresh ENV_SYNC_HOME), never over an existing identity, and a restored identity that signs
// no membership event before it has synced.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { BIN, runCli } from '../helpers/cli.ts';

// Every backup and restore runs scrypt at age's work factor, and each machine makes an identity: minutes on a
// loaded two-core machine (the file's timeout and each test's are raised).
const TIMEOUT_MS = 600_000;
t.setTimeout(TIMEOUT_MS);

const PASSPHRASE = 'correct horse battery staple';

function machine(root: string, name: string) {
  const home = path.join(root, `home-${name}`);
  return (cwd: string, args: string[], options: { input?: string; passphrase?: string } = {}) =>
    runCli(args, {
      cwd,
      home,
      timeoutMs: 120_000,
      ...(options.input === undefined ? {} : { input: options.input }),
      env: options.passphrase === undefined ? {} : { ENV_SYNC_PASSPHRASE: options.passphrase },
    });
}

t.test(
  'a backup opens with the stock age and tar, and restores identity and repository on a new machine',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const root = t.testdir();
    const old = machine(root, 'old');
    const project = path.join(root, 'project');
    mkdirSync(project);
    t.equal((await old(project, ['init'])).code, 0);
    t.equal((await old(project, ['set', 'API_KEY'], { input: 'sk-backup-canary' })).code, 0);
    const file = path.join(root, 'backup.age');
    const made = await old(project, ['backup', '--repository', '-o', file], { passphrase: PASSPHRASE });
    t.equal(made.code, 0, made.stderr);
    t.equal(statSync(file).mode & 0o777, 0o600, 'the backup file is 0600');
    const bytes = readFileSync(file);
    t.match(
      bytes.subarray(0, 60).toString('latin1'),
      /^age-encryption\.org\/v1\n-> scrypt /,
      'an age file, scrypt',
    );
    for (const secret of ['PRIVATE KEY', 'AGE-SECRET-KEY', 'sk-backup-canary'])
      t.notOk(bytes.includes(secret), `${secret} is not in the file in the clear`);
    t.notMatch(made.stdout + made.stderr, new RegExp(PASSPHRASE), 'the passphrase is never printed');

    // The stock age reads the passphrase from the terminal: `script` gives it one.
    const tarFile = path.join(root, 'backup.tar');
    execFileSync('script', ['-qec', `age -d -o '${tarFile}' '${file}'`, '/dev/null'], {
      input: `${PASSPHRASE}\r`,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const listed = execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).split('\n');
    for (const entry of [
      'identity/signing.key',
      'identity/age-identity.txt',
      'identity/tls.key',
      'identity/identity.json',
      'repository/config',
    ])
      t.ok(listed.includes(entry), `the archive holds ${entry}`);

    const fresh = machine(root, 'new');
    const restoredInto = path.join(root, 'restored');
    mkdirSync(restoredInto);
    const restored = await fresh(restoredInto, ['backup', 'restore', file], { passphrase: PASSPHRASE });
    t.equal(restored.code, 0, restored.stderr);
    const oldId = (await old(project, ['identity', 'show'])).stdout;
    t.match(restored.stdout, /^Restored identity ([A-Z2-7-]{41}) \(/);
    t.ok(oldId.includes(/Restored identity (\S+)/.exec(restored.stdout)![1]!), 'the same peer id');
    t.equal(
      (await fresh(restoredInto, ['get', 'API_KEY'])).stdout,
      'sk-backup-canary\n',
      'values read on the new machine',
    );
    t.match((await fresh(restoredInto, ['fsck'])).stdout, /^ok: /m);
    for (const name of readdirSync(path.join(root, 'home-new')))
      t.equal(statSync(path.join(root, 'home-new', name)).mode & 0o077, 0, `${name} is owner-only`);
  },
);

t.test(
  'refused with one line and nothing written: a wrong passphrase, an existing identity, no terminal',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const root = t.testdir();
    const old = machine(root, 'old');
    const file = path.join(root, 'backup.age');
    t.equal((await old(root, ['identity', 'init'])).code, 0);
    t.equal((await old(root, ['backup', '-o', file], { passphrase: PASSPHRASE })).code, 0);

    const fresh = machine(root, 'new');
    const wrong = await fresh(root, ['backup', 'restore', file], { passphrase: 'not it' });
    t.equal(wrong.code, 1);
    t.equal(
      wrong.stderr,
      'env-sync: cannot decrypt the backup: wrong passphrase, or not an env-sync backup\n',
    );
    t.throws(() => statSync(path.join(root, 'home-new')), 'no identity home was made');

    const over = await old(root, ['backup', 'restore', file], { passphrase: PASSPHRASE });
    t.equal(over.code, 1);
    t.match(
      over.stderr,
      /^env-sync: an identity already exists in '.*home-old'; restore into another ENV_SYNC_HOME, or move it aside\n$/,
    );

    const noTerminal = await fresh(root, ['backup', 'restore', file]);
    t.equal(noTerminal.code, 2);
    t.equal(
      noTerminal.stderr,
      'env-sync: no terminal to ask the passphrase on; set ENV_SYNC_PASSPHRASE for a script\n',
    );
    const noBackup = await old(root, ['backup', '-o', path.join(root, 'other.age')]);
    t.equal(noBackup.code, 2);
    t.throws(() => statSync(path.join(root, 'other.age')), 'no file was written');
  },
);

t.test(
  'on a terminal the passphrase is asked without echo, twice for a backup',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const root = t.testdir();
    const home = path.join(root, 'home');
    const file = path.join(root, 'backup.age');
    t.equal((await runCli(['identity', 'init'], { cwd: root, home })).code, 0);
    // Each answer is typed once its prompt shows, as a person would.
    const typed = (answers: string[], args: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn(
          'script',
          [
            '-qec',
            `env -u NODE_OPTIONS ENV_SYNC_HOME='${home}' '${process.execPath}' '${BIN}' ${args}; echo "exit=$?"`,
            '/dev/null',
          ],
          { env: { PATH: process.env.PATH ?? '' } },
        );
        let output = '';
        let prompts = 0;
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const shown = output.split('Passphrase').length - 1;
          while (prompts < shown && prompts < answers.length) child.stdin.write(`${answers[prompts++]}\r`);
        });
        child.on('error', reject);
        child.on('close', () => resolve(output));
      });
    const differ = await typed([PASSPHRASE, 'something else'], `backup -o '${file}'`);
    t.match(differ, /the two passphrases differ; nothing was written/);
    t.match(differ, /exit=2/);
    const made = await typed([PASSPHRASE, PASSPHRASE], `backup -o '${file}'`);
    t.match(made, /Wrote /);
    t.notMatch(made, new RegExp(PASSPHRASE), 'the passphrase is not echoed');
    t.ok(statSync(file).size > 0);
  },
);

t.test(
  'a restored identity signs no membership event until it has pulled from a peer',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const root = t.testdir();
    const alice = machine(root, 'alice');
    const bob = machine(root, 'bob');
    const origin = path.join(root, 'origin');
    mkdirSync(origin);
    t.equal((await alice(origin, ['init', '--name', 'alice'])).code, 0);
    const laptop = path.join(root, 'laptop');
    t.equal((await alice(root, ['clone', origin, laptop])).code, 0);
    const file = path.join(root, 'backup.age');
    t.equal(
      (await alice(laptop, ['backup', '--repository', '-o', file], { passphrase: PASSPHRASE })).code,
      0,
    );

    const alice2 = machine(root, 'alice-restored');
    const restored = path.join(root, 'restored');
    t.equal((await alice2(root, ['backup', 'restore', file, restored], { passphrase: PASSPHRASE })).code, 0);
    const request = path.join(root, 'bob.req');
    t.equal((await bob(root, ['identity', 'init', '--name', 'bob'])).code, 0);
    t.equal((await bob(origin, ['peer', 'request', '-o', request])).code, 0);
    const refused = await alice2(restored, ['peer', 'approve', request]);
    t.equal(refused.code, 1);
    t.equal(
      refused.stderr,
      "env-sync: this identity was restored from a backup and has not synced since: run 'env-sync pull' from a peer first, so that it signs on the group's latest events\n",
    );
    t.equal((await alice2(restored, ['pull'])).code, 0);
    const approved = await alice2(restored, ['peer', 'approve', request]);
    t.equal(approved.code, 0, approved.stderr);
    t.match(approved.stdout, /Approved [A-Z2-7-]{41} \(/);
  },
);
