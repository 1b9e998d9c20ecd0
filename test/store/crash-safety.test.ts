// A process writing objects and moving refs is SIGKILLed at random points; after every kill the repository
// must pass fsck and every ref must point to a complete object of the right type.

import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import t from 'tap';
import { fsck } from '../../src/store/fsck.ts';
import { initRepository, openRepository } from '../../src/store/repository.ts';
import { runUninstrumented } from './cli-repo.ts';

const KILLS = 20;
const HERE = path.dirname(fileURLToPath(import.meta.url));

t.test(
  'SIGKILL at random points leaves a repository that passes fsck, refs on complete objects',
  async (t) => {
    const dir = t.testdir({ work: {} });
    const work = path.join(dir, 'work');
    // Bundled so each start costs what `node` costs, not a TypeScript loader.
    const writer = path.join(dir, 'crash-writer.mjs');
    await build({
      entryPoints: [path.join(HERE, 'crash-writer.ts')],
      outfile: writer,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'warning',
    });
    await initRepository(work, { mode: 'dev-plaintext-http' });
    const locksLeft: string[] = [];
    let interruptedWrites = 0;

    for (let kill = 0; kill < KILLS; kill++) {
      await runUntilKilled(writer, work, Math.random() * 60);
      const repo = await openRepository(work);
      const report = await fsck(repo);
      const errors = report.problems.filter((p) => p.severity === 'error');
      t.same(errors, [], `kill ${kill}: fsck finds no error`);
      interruptedWrites += report.problems.filter((p) => /interrupted write/.test(p.message)).length;
      for (const ref of await repo.refs.list()) {
        const commit = await repo.objects.readTyped(ref.id, 'commit');
        await repo.objects.readTyped(commit.snapshot, 'snapshot');
      }
      // A lock left by the killed writer is reported, never stolen: remove it as its message says to.
      for (const lock of findLocks(path.join(work, '.env-sync'))) {
        locksLeft.push(lock);
        rmSync(lock);
      }
    }
    t.comment(
      `${locksLeft.length} stale locks and ${interruptedWrites} interrupted-write notes over ${KILLS} kills`,
    );
    const cli = await runUninstrumented(['fsck'], { cwd: work, home: path.join(dir, 'home') });
    t.equal(cli.code, 0, `env-sync fsck passes: ${cli.stdout}${cli.stderr}`);
    t.match(cli.stdout, /^ok: \d+ objects, [23] refs\n$/m);
  },
);

function runUntilKilled(writer: string, work: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // A bare environment: tap's NODE_OPTIONS would load its coverage hooks into every start.
    const child = spawn(process.execPath, [writer, work], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer stopped by itself: ${stderr}`));
    });
  });
}

function findLocks(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.lock'))
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
}
