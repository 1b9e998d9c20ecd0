import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import t from 'tap';
import { makeRepo } from './helpers.ts';

t.test(
  'checkout writes .env (0600) that dotenv reads back, and status/diff compare it with the branch',
  async (t) => {
    const repo = await makeRepo(t);
    const env = path.join(repo.cwd, '.env');
    const noFile = await repo.ok(t, ['status']);
    t.match(noFile.stdout, /No working file \.env; 'env-sync checkout' writes it/);
    await repo.ok(t, ['set', 'A=1', 'B=two words', 'MULTI=x\ny', 'GONE=bye']);
    const checkout = await repo.ok(t, ['checkout']);
    t.match(checkout.stdout, /^Checked out main \([0-9a-f]{12}\) to \.env: 4 keys, mode 0600$/m);
    t.equal(statSync(env).mode & 0o777, 0o600);
    t.same(dotenv.parse(readFileSync(env)), { A: '1', B: 'two words', GONE: 'bye', MULTI: 'x\ny' });
    t.match((await repo.ok(t, ['status'])).stdout, /Working file \.env matches main/);
    t.equal((await repo.ok(t, ['diff', '--exit-code'])).stdout, '', 'no differences, exit 0');

    writeFileSync(env, 'A=changed\nB=two words\nMULTI="x\ny"\nNEW=hello\n');
    const status = await repo.ok(t, ['status']);
    t.match(status.stdout, /Changes in \.env not committed to main:/);
    t.match(status.stdout, /added: +NEW\n.*changed: +A\n.*removed: +GONE/s);
    const diff = await repo.ok(t, ['diff']);
    t.match(
      diff.stdout,
      /^--- main at [0-9a-f]{12} \(checked out\)\n\+\+\+ \.env\n-A=\*{8}\n\+A=\*{8}\n-GONE=\*{8}\n\+NEW=\*{8}\n$/,
    );
    const shown = await repo.cli(['diff', '--show-values', '--exit-code']);
    t.equal(shown.code, 1, '--exit-code reports differences');
    t.match(shown.stdout, /\(checked out\)\n\+\+\+ \.env\n-A=1\n\+A=changed\n-GONE=bye\n\+NEW=hello\n$/);

    const refused = await repo.cli(['checkout']);
    t.equal(refused.code, 1, 'checkout refuses to overwrite uncommitted edits');
    t.match(refused.stderr, /\.env has edits not committed to any environment/);
    t.match(readFileSync(env, 'utf8'), /NEW=hello/, 'the file is untouched');

    await repo.ok(t, ['import', '--replace']);
    t.match((await repo.ok(t, ['status'])).stdout, /matches main/, 'after import the file is committed');
    await repo.ok(t, ['env', 'create', 'staging']);
    await repo.ok(t, ['set', '--env', 'staging', 'S=1']);
    const switched = await repo.ok(t, ['checkout', '--env', 'staging']);
    t.match(
      switched.stdout,
      /Checked out staging/,
      'a committed file may be replaced by another environment',
    );
    t.same(dotenv.parse(readFileSync(env)), { S: '1' });
    const list = await repo.ok(t, ['env', 'list']);
    t.equal(list.stdout, '  main\n* staging\n', 'the checked-out environment is marked');
    t.match((await repo.ok(t, ['status'])).stdout, /On environment staging/, 'status follows the checkout');

    writeFileSync(env, 'S=edited\n');
    t.equal((await repo.cli(['checkout', '--env', 'main'])).code, 1);
    const forced = await repo.ok(t, ['checkout', '--env', 'main', '--force']);
    t.match(forced.stdout, /Checked out main/);
    t.same(dotenv.parse(readFileSync(env)), { A: 'changed', B: 'two words', MULTI: 'x\ny', NEW: 'hello' });
  },
);

t.test(
  'the working file path comes from core.worktree; an unparseable working file names the line',
  async (t) => {
    const repo = await makeRepo(t);
    await repo.ok(t, ['config', 'set', 'core.worktree', 'config/app.env']);
    await repo.ok(t, ['set', 'A=1']);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(repo.cwd, 'config'));
    const checkout = await repo.ok(t, ['checkout']);
    t.match(checkout.stdout, /to config\/app\.env/);
    t.equal(readFileSync(path.join(repo.cwd, 'config/app.env'), 'utf8'), 'A=1\n');
    writeFileSync(path.join(repo.cwd, 'config/app.env'), 'A=1\nnot valid\n');
    const status = await repo.cli(['status']);
    t.equal(status.code, 1);
    t.match(status.stderr, /config\/app\.env: line 2: expected KEY=VALUE/);
    t.equal((await repo.cli(['checkout'])).code, 1, 'an unparseable file counts as edited');
    await repo.ok(t, ['set', 'Q=a\'b"c`d #e']);
    const unrepresentable = await repo.cli(['checkout', '--force']);
    t.equal(unrepresentable.code, 1);
    t.match(unrepresentable.stderr, /the value of Q cannot be written in config\/app\.env/);
  },
);

t.test('a malformed checkout record names its file until checkout --force writes it again', async (t) => {
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'A=1']);
  await repo.ok(t, ['checkout']);
  const record = path.join(repo.cwd, '.env-sync/CHECKOUT');
  t.equal(statSync(record).mode & 0o777, 0o600);
  t.match(JSON.parse(readFileSync(record, 'utf8')), { env: 'main', commit: /^[0-9a-f]{64}$/ });
  writeFileSync(record, '{"env":"../x","commit":null,"written":"zz"}');
  const status = await repo.cli(['status']);
  t.equal(status.code, 1);
  t.match(status.stderr, /CHECKOUT is malformed; 'env-sync checkout --force' writes it again/);
  t.equal((await repo.cli(['checkout'])).code, 1);
  await repo.ok(t, ['checkout', '--force']);
  t.match((await repo.ok(t, ['status'])).stdout, /matches main/);
});
