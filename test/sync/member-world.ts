// Peers with their own identities in one directory of work trees, driven through the real CLI: the world the
// membership sync tests act in.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { runCli } from '../helpers/cli.ts';
import { snapshotTree } from '../store/tree-snapshot.ts';

const homes = mkdtempSync(path.join(tmpdir(), 'env-sync-membership-fetch-homes-'));
process.once('exit', () => rmSync(homes, { recursive: true, force: true }));
// This test process reads chains through the modules too: what it verifies is recorded in a home of its own.
process.env.ENV_SYNC_HOME = path.join(homes, 'test-process');
mkdirSync(process.env.ENV_SYNC_HOME, { mode: 0o700 });
const PEERS = ['alice', 'bob', 'carol', 'dave', 'mallory'] as const;
export type Who = (typeof PEERS)[number];
const home = (who: Who) => path.join(homes, who);
export const SECRET = 'sk-live-4f9Q-never-printed';
export const NEWER = 'sk-live-rotated-8Zx1-never-printed';

t.before(async () => {
  await Promise.all(
    PEERS.map(async (who) => {
      const made = await runCli(['identity', 'init', '--name', who], { cwd: homes, home: home(who) });
      if (made.code !== 0) throw new Error(made.stderr);
    }),
  );
});

/** A directory of peers' work trees: `run(who, dir, args)` runs as `who` inside `<root>/<dir>`. */
export function world(t: Test) {
  const root = t.testdir();
  const run = (who: Who, dir: string, args: string[], input?: string) =>
    runCli(args, { cwd: path.join(root, dir), home: home(who), ...(input === undefined ? {} : { input }) });
  const ok = async (who: Who, dir: string, args: string[], input?: string) => {
    const result = await run(who, dir, args, input);
    t.equal(
      result.code,
      0,
      `${who}: env-sync ${args.join(' ')} exits 0${result.stderr ? `: ${result.stderr}` : ''}`,
    );
    if (args[0] !== 'get')
      t.notMatch(result.stdout + result.stderr, /never-printed/, `${who}: no value printed`);
    return result.stdout;
  };
  /** Founder `who` makes a secure-peer repository in `<root>/<dir>` with API_KEY set. */
  const found = async (who: Who, dir: string) => {
    mkdirSync(path.join(root, dir));
    await ok(who, dir, ['init']);
    await ok(who, dir, ['set', 'API_KEY'], SECRET);
  };
  /** `who` clones `from` into `dir`, sends a join request, `admin` approves it in `from`. */
  const join = async (who: Who, dir: string, from: string, admin: Who, extra: string[] = []) => {
    const cloned = await ok(who, '.', ['clone', from, dir]);
    t.match(
      cloned,
      /you are not a member yet: run `env-sync peer request/,
      `${who} is told it is not a member`,
    );
    await ok(who, dir, ['peer', 'request', '-o', `../${who}.req`]);
    await ok(admin, from, ['peer', 'approve', `../${who}.req`, ...extra]);
  };
  const list = async (who: Who, dir: string) => JSON.parse(await ok(who, dir, ['peer', 'list', '--json']));
  const refs = (dir: string) => snapshotTree(path.join(root, dir, '.env-sync', 'refs'));
  return { root, home, run, ok, found, join, list, refs };
}
