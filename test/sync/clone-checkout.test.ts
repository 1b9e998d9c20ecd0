import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { freshDir, runCli } from '../helpers/cli.ts';

t.test(
  'clone writes no working file unless --checkout asks; then .env is 0600 with the values',
  async (t) => {
    const root = freshDir();
    const home = path.join(root, 'home');
    const origin = path.join(root, 'origin');
    mkdirSync(origin);
    t.equal((await runCli(['init', '--mode', 'trusted-owner-ssh'], { cwd: origin, home })).code, 0);
    t.equal((await runCli(['set', 'TOKEN'], { cwd: origin, home, input: 'line one\nline "two"' })).code, 0);

    const plain = await runCli(['clone', origin, 'plain'], { cwd: root, home });
    t.equal(plain.code, 0, plain.stderr);
    t.notOk(existsSync(path.join(root, 'plain/.env')), 'no plaintext file without --checkout');

    const checked = await runCli(['clone', '--checkout', origin, 'checked'], { cwd: root, home });
    t.equal(checked.code, 0, checked.stderr);
    t.match(checked.stdout, /^Checked out main to \.env \(mode 0600\)$/m);
    const file = path.join(root, 'checked/.env');
    t.equal(statSync(file).mode & 0o777, 0o600);
    const get = await runCli(['get', 'TOKEN'], { cwd: path.join(root, 'checked'), home });
    t.equal(get.stdout, 'line one\nline "two"\n');
    t.match(readFileSync(file, 'utf8'), /^TOKEN=/);
    const status = await runCli(['status'], { cwd: path.join(root, 'checked'), home });
    t.equal(status.code, 0, 'the checked-out file matches the branch');
  },
);

t.test(
  'a peer that cannot read the values yet keeps its clone; --checkout fails with one clear line',
  async (t) => {
    const root = freshDir();
    const founderHome = path.join(root, 'founder');
    const origin = path.join(root, 'origin');
    mkdirSync(origin);
    t.equal((await runCli(['init'], { cwd: origin, home: founderHome })).code, 0);
    t.equal(
      (await runCli(['set', 'TOKEN'], { cwd: origin, home: founderHome, input: 'secret-value' })).code,
      0,
    );
    const result = await runCli(['clone', '--checkout', origin, 'copy'], {
      cwd: root,
      home: path.join(root, 'stranger'),
    });
    t.equal(result.code, 1);
    t.match(
      result.stderr,
      /^env-sync: you \([A-Z0-9-]+\) are not a member of this group yet, so snapshot [0-9a-f]{12}/,
    );
    t.equal(result.stderr.trim().split('\n').length, 1);
    t.ok(existsSync(path.join(root, 'copy/.env-sync/config')), 'the clone itself is kept');
    t.notOk(existsSync(path.join(root, 'copy/.env')), 'no working file');
    t.notOk(result.stderr.includes('secret-value'));
  },
);
