// The built CLI's start-up path (scripts/build.mjs, bin/env-sync.js): one CommonJS bundle loaded with the V8
// code cache recorded at build time, which a plain `node` must accept; a missing or damaged cache only costs
// time; heavy libraries stay out of the bundle.

import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import t from 'tap';
import { ROOT, runCli } from '../helpers/cli.ts';

const DIST = path.join(ROOT, 'dist');

/** Runs `code` in a plain node: no NODE_OPTIONS (tap's hooks) and no coverage, as a user runs the CLI. */
function plainNode(code: string, ...args: string[]): string {
  const result = spawnSync(
    'env',
    ['-u', 'NODE_OPTIONS', '-u', 'NODE_V8_COVERAGE', process.execPath, '-e', code, ...args],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout.trim();
}

t.test('a plain node with the V8 flags of the CLI accepts each code cache the build recorded', async (t) => {
  const caches = readdirSync(DIST).filter((name) => name.endsWith('.cache'));
  const { OWN_CACHE, SHORT_LIVED_BUDGET } = createRequire(import.meta.url)(
    path.join(ROOT, 'bin/env-sync.js'),
  ) as {
    OWN_CACHE: Set<string>;
    SHORT_LIVED_BUDGET: string;
  };
  t.same(caches.sort(), ['main.cjs.cache', ...[...OWN_CACHE].map((word) => `main.${word}.cache`)].sort());
  for (const cache of caches) {
    const verdict = plainNode(
      `const fs = require('node:fs'); const { wrap } = require('node:module'); const vm = require('node:vm');
       const [file, cache, flags] = process.argv.slice(1);
       require('node:v8').setFlagsFromString(flags);
       const script = new vm.Script(wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData: fs.readFileSync(cache) });
       console.log(script.cachedDataRejected ? 'rejected' : 'accepted');`,
      path.join(DIST, 'main.cjs'),
      path.join(DIST, cache),
      SHORT_LIVED_BUDGET,
    );
    t.equal(verdict, 'accepted', cache);
  }
});

t.test('the bundle leaves age-encryption and node-forge to be loaded on first use', async (t) => {
  const bundle = readFileSync(path.join(DIST, 'main.cjs'), 'utf8');
  t.match(bundle, /require\("\.\/age-encryption\.cjs"\)/, 'age-encryption from its own file');
  t.match(bundle, /require\("node-forge"\)/, 'node-forge from node_modules');
  t.notMatch(
    bundle,
    /\bimport\(["'`]/,
    'no dynamic import(), which code compiled through node:vm cannot run',
  );
});

t.test('a missing or damaged code cache only costs time', async (t) => {
  const copy = t.testdir();
  cpSync(path.join(ROOT, 'bin'), path.join(copy, 'bin'), { recursive: true });
  cpSync(DIST, path.join(copy, 'dist'), { recursive: true });
  const bin = path.join(copy, 'bin/env-sync.js');
  const cli = (...args: string[]) =>
    spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, bin, ...args], { encoding: 'utf8' });
  const expected = cli('--version').stdout;
  t.match(expected, /^\d+\.\d+\.\d+\n$/);
  const getHelp = cli('get', '--help').stdout;
  t.match(getHelp, /print one secret's value/i);
  for (const cache of ['main.cjs.cache', 'main.get.cache']) {
    writeFileSync(path.join(copy, 'dist', cache), Buffer.from('not a code cache'));
  }
  t.same([cli('--version').status, cli('--version').stdout], [0, expected], 'a damaged cache is ignored');
  t.same([cli('get', '--help').status, cli('get', '--help').stdout], [0, getHelp], "and so is get's own");
  for (const cache of ['main.cjs.cache', 'main.get.cache']) rmSync(path.join(copy, 'dist', cache));
  t.same([cli('--version').status, cli('--version').stdout], [0, expected], 'no cache at all');
  t.same([cli('get', '--help').status, cli('get', '--help').stdout], [0, getHelp], "nor get's own");
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
