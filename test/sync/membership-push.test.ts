import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { freshDir, runCli } from '../helpers/cli.ts';

t.test(
  'secure-peer receive-pack refuses commits by a non-member and accepts them from a member',
  async (t) => {
    const root = freshDir();
    const founder = path.join(root, 'founder-home');
    const stranger = path.join(root, 'stranger-home');
    const origin = path.join(root, 'origin');
    mkdirSync(origin);
    t.equal((await runCli(['init'], { cwd: origin, home: founder })).code, 0);
    t.equal((await runCli(['set', 'TOKEN'], { cwd: origin, home: founder, input: 'v1' })).code, 0);
    const mainRef = path.join(origin, '.env-sync/refs/heads/main');
    const before = readFileSync(mainRef, 'utf8');

    // The stranger clones (allowed: it learns key names and the chain, not values) and forges a commit.
    t.equal((await runCli(['clone', origin, 'copy'], { cwd: root, home: stranger })).code, 0);
    const copy = path.join(root, 'copy');
    const snapshot = (await runCli(['rev-parse', 'main'], { cwd: copy, home: stranger })).stdout.trim();
    const tree = JSON.parse(
      (await runCli(['cat-file', '--json', snapshot], { cwd: copy, home: stranger })).stdout,
    );
    const forged = await runCli(['commit-tree', tree.snapshot, '-p', 'main', '-m', 'not a member'], {
      cwd: copy,
      home: stranger,
    });
    t.equal(forged.code, 0, forged.stderr);
    const id = forged.stdout.trim();
    t.equal((await runCli(['update-ref', 'refs/heads/main', id], { cwd: copy, home: stranger })).code, 0);
    const refused = await runCli(['push', 'origin', 'main'], { cwd: copy, home: stranger });
    t.not(refused.code, 0);
    t.match(refused.stderr, /^env-sync: .*(not approved|not a member|unauthori|was not)/i);
    t.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
    t.equal(readFileSync(mainRef, 'utf8'), before, "the origin's branch did not move");
    t.equal((await runCli(['fsck'], { cwd: origin, home: founder })).code, 0);

    // The founder's own second checkout (same identity: an approved admin) pushes fine.
    t.equal((await runCli(['clone', origin, 'mine'], { cwd: root, home: founder })).code, 0);
    const mine = path.join(root, 'mine');
    t.equal((await runCli(['set', 'TOKEN'], { cwd: mine, home: founder, input: 'v2' })).code, 0);
    const pushed = await runCli(['push', 'origin', 'main'], { cwd: mine, home: founder });
    t.equal(pushed.code, 0, pushed.stderr);
    t.equal((await runCli(['get', 'TOKEN'], { cwd: origin, home: founder })).stdout, 'v2\n');
  },
);
