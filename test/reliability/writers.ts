// Concurrent writers on one repository: `writers` processes each run `sets` `set`s of keys of their own, all
// at once. Shared by test/reliability/writers.test.ts (a short run) and bench/writers.ts (500 each).

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.ts';

export interface WritersReport {
  readonly failures: string[];
  /** Keys whose final value is not the last one its writer set. */
  readonly lost: string[];
  readonly fsck: string;
  readonly seconds: number;
}

export async function runWriters(writers: number, sets: number): Promise<WritersReport> {
  const root = mkdtempSync(path.join(tmpdir(), 'env-sync-writers-'));
  try {
    const cwd = path.join(root, 'work');
    const home = path.join(root, 'home');
    mkdirSync(cwd);
    const init = await runCli(['init', '--mode', 'trusted-owner-ssh'], { cwd, home });
    if (init.code !== 0) throw new Error(init.stderr);
    const started = Date.now();
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let i = 0; i < sets; i++) {
          const result = await runCli(['set', `W${writer}_K${i % 5}`], {
            cwd,
            home,
            input: `value-${writer}-${i}`,
            timeoutMs: 120_000,
          });
          if (result.code !== 0) failures.push(`writer ${writer}, set ${i}: ${result.stderr.trim()}`);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const exported = await runCli(['export', '--format', 'json'], { cwd, home });
    const values = JSON.parse(exported.stdout) as Record<string, string>;
    const lost: string[] = [];
    for (let writer = 0; writer < writers; writer++) {
      for (let k = 0; k < Math.min(5, sets); k++) {
        const last = k + 5 * Math.floor((sets - 1 - k) / 5);
        const key = `W${writer}_K${k}`;
        if (values[key] !== `value-${writer}-${last}`) lost.push(`${key} = ${values[key]}`);
      }
    }
    const fsck = await runCli(['fsck'], { cwd, home });
    return { failures, lost, fsck: fsck.code === 0 ? 'ok' : fsck.stdout + fsck.stderr, seconds };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
