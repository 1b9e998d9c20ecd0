// The README's transcripts (```console blocks) are real: each `$ ` line runs in a shell, in a sandbox whose
// HOME stands for /home/alice, and what it prints must be the lines that follow, ids and sizes aside.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { BIN, ROOT } from '../helpers/cli.ts';

interface Step {
  readonly command: string;
  readonly output: string;
}

function transcripts(markdown: string): Step[][] {
  return [...markdown.matchAll(/^```console\n([\s\S]*?)^```$/gm)].map(([, block]) => {
    const steps: { command: string; output: string[] }[] = [];
    for (const line of block!.trimEnd().split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), output: [] });
      else steps.at(-1)!.output.push(line);
    }
    return steps.map(({ command, output }) => ({ command, output: output.join('\n') }));
  });
}

/** What varies from run to run: ids, peer ids and byte counts. */
function normalized(text: string): string {
  return text
    .replace(/\b[0-9a-f]{12,64}\b/g, '<id>')
    .replace(/\b[A-Z2-7]{6}(-[A-Z2-7]{6}){5}\b/g, '<peer id>')
    .replace(/\b\d+ bytes\b/g, '<n> bytes');
}

t.test('every transcript in the README prints what the README shows', async (t) => {
  const blocks = transcripts(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  t.ok(blocks.length >= 2, 'the README has transcripts');
  // Outside any git work tree, where init would add to a .gitignore.
  const sandbox = mkdtempSync(path.join(tmpdir(), 'env-sync-readme-'));
  t.teardown(() => rmSync(sandbox, { recursive: true, force: true }));
  const home = path.join(sandbox, 'home/alice');
  const bin = path.join(sandbox, 'bin');
  mkdirSync(path.join(home, 'app'), { recursive: true });
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'env-sync'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  chmodSync(path.join(bin, 'env-sync'), 0o755);
  let cwd = home;
  for (const steps of blocks) {
    for (const { command, output } of steps) {
      const cd = /^cd (\S+)$/.exec(command);
      if (cd !== null) {
        cwd = path.resolve(cwd, cd[1]!.replace(/^~/, home));
        continue;
      }
      const ran = spawnSync('sh', ['-c', `{ ${command}; } 2>&1`], {
        cwd,
        env: { PATH: `${bin}:${process.env.PATH}`, HOME: home },
        encoding: 'utf8',
      });
      t.equal(ran.status, 0, `$ ${command} exits 0`);
      const printed = ran.stdout.trimEnd().replaceAll(sandbox, '');
      t.equal(normalized(printed), normalized(output), `$ ${command}`);
    }
  }
});
