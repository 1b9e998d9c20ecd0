// The bundle carries ssh2 without native code: neither its crypto addon nor cpu-features is referenced, and
// running the SSH client loads no `.node` file.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { BIN, ROOT } from '../helpers/cli.ts';
import { freePort } from '../helpers/sshd.ts';

const BUNDLE = path.join(ROOT, 'dist/main.cjs');

t.test('dist/main.cjs requires no .node file and no cpu-features', async (t) => {
  const bundle = readFileSync(BUNDLE, 'utf8');
  t.notMatch(bundle, /require\(["'][^"']*\.node["']\)/, 'no addon is required');
  t.notMatch(bundle, /require\(["']cpu-features["']\)/, 'cpu-features is not required');
  t.match(bundle, /All configured authentication methods failed/, 'ssh2 is in the bundle');
});

t.test('the SSH client in the bundle loads no native addon', async (t) => {
  const dir = t.testdir();
  const loaded = path.join(dir, 'dlopen.log');
  // process.dlopen is where every `.node` file is loaded: record each call and refuse it.
  const preload = path.join(dir, 'no-dlopen.cjs');
  writeFileSync(
    preload,
    `const fs = require('node:fs');
process.dlopen = (module, file) => {
  fs.appendFileSync(${JSON.stringify(loaded)}, file + '\\n');
  throw new Error('native addon refused: ' + file);
};\n`,
  );
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--require', preload, BIN, 'clone', `ssh://127.0.0.1:${port}/x`, path.join(dir, 'c')],
    {
      env: { PATH: process.env.PATH ?? '', HOME: dir, ENV_SYNC_HOME: path.join(dir, 'home') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 1);
  t.equal(
    stderr,
    `env-sync: cannot connect to 127.0.0.1:${port}: connection refused\n`,
    'the client ran up to the socket',
  );
  t.notOk(existsSync(loaded), existsSync(loaded) ? readFileSync(loaded, 'utf8') : 'no .node file was loaded');
});
