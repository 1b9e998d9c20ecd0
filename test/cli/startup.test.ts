// The built CLI's start-up path (scripts/build.mjs, bin/env-sync.js): one CommonJS bundle that leaves the
// heavy libraries to the commands that need them, and stack traces that name src/ under --debug.

import { readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import t from 'tap';
import { ROOT, runCli } from '../helpers/cli.ts';

t.test('the bundle loads at run time only the packages package.json installs with it', async (t) => {
  const bundle = readFileSync(path.join(ROOT, 'dist/main.cjs'), 'utf8');
  const loaded = new Set(
    [...bundle.matchAll(/\b(?:require|import)\("([^"]+)"\)/g)]
      .map(([, name]) => name!)
      .filter((name) => !name.startsWith('node:') && !builtinModules.includes(name)),
  );
  const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  t.same([...loaded].sort(), Object.keys(dependencies).sort());
  t.match(bundle, /import\("age-encryption"\)/, 'age-encryption is imported on first use');
  t.match(bundle, /import\("node-forge"\)/, 'and so is node-forge');
});

t.test('--debug prints a stack trace that names the source files and lines', async (t) => {
  const dir = t.testdir({ repo: {} });
  const cwd = path.join(dir, 'repo');
  t.equal((await runCli(['init'], { cwd })).code, 0);
  const plain = await runCli(['cat-file', '-p', 'deadbeef'], { cwd });
  t.same([plain.code, plain.stderr], [1, "env-sync: unknown revision 'deadbeef'\n"], 'one line without it');
  const debug = await runCli(['--debug', 'cat-file', '-p', 'deadbeef'], { cwd });
  t.equal(debug.code, 1);
  t.match(debug.stderr, /\bat .*src\/store\/revision\.ts:\d+:\d+\)/);
  t.match(debug.stderr, /\bat .*src\/cli\/plumbing\/cat-file\.ts:\d+:\d+\)/);
});

t.test('an encrypted read loads only the age key: a damaged TLS key does not stop get', async (t) => {
  const dir = t.testdir({ repo: {} });
  const cwd = path.join(dir, 'repo');
  const home = path.join(dir, 'home');
  t.equal((await runCli(['init', '--mode', 'secure-peer'], { cwd, home })).code, 0);
  t.equal((await runCli(['set', 'API_TOKEN'], { cwd, home, input: 'token-value' })).code, 0);
  writeFileSync(path.join(home, 'tls.key'), 'damaged\n', { mode: 0o600 });
  const get = await runCli(['get', 'API_TOKEN'], { cwd, home });
  t.same([get.code, get.stdout], [0, 'token-value\n']);
  const show = await runCli(['identity', 'show'], { cwd, home });
  t.equal(show.code, 1, 'loading the whole identity still refuses the damaged key');
  t.match(show.stderr, /tls\.key.* is not a PEM private key/);
});
