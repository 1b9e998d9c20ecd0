// `env-sync fetch` writing a pack is SIGKILLed at random points; after every kill the repository must pass fsck
// and its remote-tracking ref must be either untouched or on the complete fetched history.

import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { fsck } from '../../src/store/fsck.ts';
import { initRepository, openRepository, type Repository } from '../../src/store/repository.ts';
import { BIN } from '../helpers/cli.ts';
import { buildHistory, initPeer } from './helpers.ts';

const KILLS = 12;
const REMOTE_REF = 'refs/remotes/origin/main';

/** A repository of the source's group with `origin` pointing at it. */
async function destination(dir: string, source: Repository): Promise<void> {
  const { mode, group, groupNonce } = source;
  const repo = await initRepository(dir, { mode, group, groupNonce });
  repo.config.set('remote.origin.url', source.workTree);
  await repo.saveConfig();
}

/** Runs `env-sync fetch` in `dir`, SIGKILLed after `killAfterMs` unless it finished; ms it ran. */
function fetchUntil(
  dir: string,
  home: string,
  killAfterMs: number,
): Promise<{ ms: number; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    // `env -u NODE_OPTIONS`: tap's coverage hooks would slow every start (test/helpers/cli.ts).
    const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, BIN, 'fetch', 'origin'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: home, ENV_SYNC_HOME: home },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ ms: performance.now() - start, killed: true });
      else if (code === 0) resolve({ ms: performance.now() - start, killed: false });
      else reject(new Error(`fetch failed: ${stderr}`));
    });
  });
}

t.test('SIGKILL during a fetch that writes a pack leaves fsck clean and no ref moved', async (t) => {
  const root = t.testdir();
  const source = await initPeer(root, 'source');
  const tip = await buildHistory(source.dir, 200, 300);
  const sourceRepo = await openRepository(source.dir);
  const home = path.join(root, '.home');

  // How long a whole fetch takes here, so that the kills spread over it.
  const probe = path.join(root, 'probe');
  await destination(probe, sourceRepo);
  let { ms } = await fetchUntil(probe, home, 60_000);
  t.ok(readdirSync(path.join(probe, '.env-sync/objects/pack')).length === 2, 'a whole fetch writes one pack');

  let killed = 0;
  let leftovers = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const dir = path.join(root, `dest-${kill}`);
    await destination(dir, sourceRepo);
    const run = await fetchUntil(dir, home, ms * (0.3 + 0.7 * Math.random()));
    if (run.killed) killed++;
    // A fetch that finished first shows how long one takes now (the probe may have met a busier machine).
    else ms = Math.min(ms, run.ms);
    const repo = await openRepository(dir);
    const report = await fsck(repo);
    t.same(
      report.problems.filter((p) => p.severity === 'error'),
      [],
      `kill ${kill}: fsck finds no error`,
    );
    leftovers += report.problems.length;
    const ref = await repo.refs.read(REMOTE_REF);
    t.ok(ref === null || ref === tip, `kill ${kill}: ${REMOTE_REF} is untouched or on the fetched tip`);
    if (ref === tip) t.equal(report.objects, 600, `kill ${kill}: the tip's whole history is there`);
  }
  t.comment(`${killed} of ${KILLS} fetches killed; ${leftovers} leftover notes`);
  t.ok(killed > 0, 'at least one fetch was killed before it finished');

  // An interrupted fetch is simply run again.
  const again = path.join(root, 'dest-0');
  await fetchUntil(again, home, 60_000);
  const repo = await openRepository(again);
  t.equal(await repo.refs.read(REMOTE_REF), tip);
  const report = await fsck(repo);
  t.equal(report.ok, true);
  t.equal(report.objects, 600);
});
