// The built CLI's start-up path (scripts/build.mjs, bin/env-sync.js): one CommonJS bundle loaded with the V8
// code cache recorded at build time, which a plain `node` must accept; a missing or damaged cache only costs
// time; node-forge stays out of the bundle; stack traces name src/ under --debug.

import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import t from 'tap';
import { ROOT, runCli } from '../helpers/cli.ts';

const DIST = path.join(ROOT, 'dist');

/** Runs `bin` (a copy of bin/env-sync.js) in a plain node: no NODE_OPTIONS (tap's hooks), as a user runs it. */
const plainCli = (bin: string, ...args: string[]) =>
  spawnSync('env', ['-u', 'NODE_OPTIONS', '-u', 'NODE_V8_COVERAGE', process.execPath, bin, ...args], {
    encoding: 'utf8',
  });

t.test('a plain node accepts the code cache the build recorded', async (t) => {
  const verdict = spawnSync(
    'env',
    [
      '-u',
      'NODE_OPTIONS',
      '-u',
      'NODE_V8_COVERAGE',
      process.execPath,
      '-e',
      `const { load, CACHE } = require(process.argv[1]);
       const { script } = load(require('node:fs').readFileSync(CACHE));
       console.log(script.cachedDataRejected ? 'rejected' : 'accepted');`,
      path.join(ROOT, 'bin/env-sync.js'),
    ],
    { encoding: 'utf8' },
  );
  t.equal(verdict.stdout.trim(), 'accepted', verdict.stderr);
});

t.test('a missing or damaged code cache only costs time', async (t) => {
  const copy = t.testdir();
  cpSync(path.join(ROOT, 'bin'), path.join(copy, 'bin'), { recursive: true });
  cpSync(DIST, path.join(copy, 'dist'), { recursive: true });
  const bin = path.join(copy, 'bin/env-sync.js');
  /** Exit status and output of `--version` and `get --help`. */
  const answers = () =>
    [plainCli(bin, '--version'), plainCli(bin, 'get', '--help')].map(({ status, stdout }) => [
      status,
      stdout,
    ]);
  const cached = answers();
  t.match(cached, [
    [0, /^\d+\.\d+\.\d+\n$/],
    [0, /print one secret's value/i],
  ]);
  const cache = path.join(copy, 'dist/main.cjs.cache');
  writeFileSync(cache, Buffer.from('not a code cache'));
  t.same(answers(), cached, 'a damaged cache is ignored');
  rmSync(cache);
  t.same(answers(), cached, 'and so is a missing one');
});

t.test('the bundle requires at run time only the packages package.json installs with it', async (t) => {
  const bundle = readFileSync(path.join(DIST, 'main.cjs'), 'utf8');
  const loaded = new Set(
    [...bundle.matchAll(/\brequire\("([^"]+)"\)/g)]
      .map(([, name]) => name!)
      .filter((name) => !name.startsWith('node:') && !builtinModules.includes(name)),
  );
  const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  t.same([...loaded].sort(), Object.keys(dependencies).sort());
  t.notMatch(bundle, /\bimport\(["'`]/, 'no import(), which code compiled through node:vm cannot run');
  t.notMatch(bundle, /[^\x00-\x7f]/, 'ASCII only (no comments), which V8 holds as a one-byte string');
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
