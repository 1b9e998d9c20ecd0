// Bundles the CLI with esbuild into dist/ and records a V8 code cache for it; see docs/performance.md
// ("Start-up") for the measurements behind each choice:
// - one CommonJS file, dist/main.cjs: Node 20 compiles ES modules without any code cache and links each chunk
//   through its ESM loader, which cost a cold `get` about 40 ms more CPU than one CommonJS file;
// - dist/main.cjs.cache: the V8 code cache of that file, loaded by bin/env-sync.js, saves compiling it again
//   on every start (V8 rejects a cache made by another Node version, and the CLI then simply compiles);
//   it is recorded after warm-up runs, so it holds the compiled functions of a daily command too;
// - the heavy libraries stay out of the main file and load only when a command needs them: node-forge
//   (certificates) and ssh2 are required from node_modules, age-encryption (ESM only) is bundled into its own
//   CommonJS file, dist/age-encryption.cjs, for encryption and key generation.
// Modules the CLI loads lazily (`await import(...)` in src/) become functions run on first use.
// - minified names as well as whitespace: a third less to read and a smaller cache to deserialize on every
//   start (a cold `get` 187M -> 182M instructions); nothing in src/ depends on a function's or class's
//   name, and dist/main.cjs.map maps stack traces back (`node --enable-source-maps`).

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { buildNativeAddons } from './build-native.mjs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// Built into a fresh folder and swapped in by rename, so a CLI run during a rebuild never sees a half-built dist/.
const dist = new URL('../dist/', import.meta.url);
const next = new URL(`../dist.next-${process.pid}/`, import.meta.url);
const old = new URL(`../dist.old-${process.pid}/`, import.meta.url);
rmSync(next, { recursive: true, force: true });

/** Packages the bundle reaches through `require` at run time, each mapped to what is required. */
const requiredAtRunTime = {
  'age-encryption': './age-encryption.cjs',
  'node-forge': 'node-forge',
  ssh2: 'ssh2',
};

// `import('pkg')` of a package left out of the bundle would stay a dynamic import(), which code compiled
// through node:vm (how bin/env-sync.js loads the bundle with its cache) cannot run on Node 20. This plugin
// turns each such import into a bundled module that requires the package, so esbuild emits a plain require.
const requireAtRunTime = {
  name: 'require-at-run-time',
  setup(pluginBuild) {
    const names = Object.keys(requiredAtRunTime).join('|');
    pluginBuild.onResolve({ filter: new RegExp(`^(${names})$`) }, (args) =>
      args.namespace === 'required-at-run-time'
        ? { path: requiredAtRunTime[args.path], external: true }
        : { path: args.path, namespace: 'required-at-run-time' },
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'required-at-run-time' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

// clipanion's Cli class builds a default context when it loads: process.stdin, stdout and stderr (three
// streams, with the tty or net module behind each) and a colour depth from the tty module. main() always
// passes its own context (src/cli/stdio.ts, streams made on first use) and disables colours, so the bundle
// takes clipanion's browser platform module (colour depth 1, no output capture: the CLI enables neither) and
// drops the three streams from the default context. The build fails if clipanion's source no longer matches.
const clipanionWithoutEagerStdio = {
  name: 'clipanion-without-eager-stdio',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/platform$/ }, (args) =>
      /[\\/]clipanion[\\/]lib[\\/]advanced$/.test(args.resolveDir)
        ? { path: path.join(args.resolveDir, '../platform/browser.js') }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /[\\/]clipanion[\\/]lib[\\/]advanced[\\/]Cli\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const eager = /\n\s*stdin: process\.stdin,\n\s*stdout: process\.stdout,\n\s*stderr: process\.stderr,/;
      if (!eager.test(source))
        throw new Error(`${args.path}: clipanion's default context changed; see scripts/build.mjs`);
      return { contents: source.replace(eager, ''), loader: 'js' };
    });
  },
};

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  outExtension: { '.js': '.cjs' },
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: { 'age-encryption': 'age-encryption' },
  outdir: next.pathname,
});

await build({
  ...common,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: next.pathname,
  plugins: [requireAtRunTime, clipanionWithoutEagerStdio],
  external: ['cpu-features'],
  define: { __ENV_SYNC_VERSION__: JSON.stringify(version) },
});

buildNativeAddons(next.pathname);

// A dynamic import() left in the bundle (a node: built-in imported lazily, say) would fail at run time.
const dynamicImport = /\bimport\(["'`]/.exec(readFileSync(new URL('main.cjs', next), 'utf8'));
if (dynamicImport !== null) {
  throw new Error('dist/main.cjs contains a dynamic import(): import node: built-ins statically');
}

// The caches are made by a plain `node` (no NODE_OPTIONS, no flags): V8 accepts a cache only from a process
// whose flags match, and the CLI runs as plain `node`. main.cjs.cache is recorded after init, set, get and run
// have run in a plaintext and in an encrypted scratch repository (output discarded), so it holds what those
// paths compile. Then each command of OWN_CACHE (bin/env-sync.js) gets a cache of its own, recorded after
// running only that command in the same two repositories (fetch: in a clone of each, after a new commit):
// smaller than the first, so quicker to load, and holding what that command compiles.
const bin = new URL('../bin/env-sync.js', import.meta.url).pathname;
const { OWN_CACHE } = createRequire(import.meta.url)(bin);
const scratch = mkdtempSync(path.join(tmpdir(), 'env-sync-build-'));
const repos = {
  'trusted-owner-ssh': path.join(scratch, 'plain'),
  'secure-peer': path.join(scratch, 'encrypted'),
};
const clones = Object.values(repos).map((repo) => `${repo}-clone`);
const inEach = (dirs, argv) => dirs.map((dir) => ['-C', dir, ...argv]);
const daily = {
  set: ['set', 'WARM_UP'],
  get: ['get', 'WARM_UP'],
  run: ['run', '--', process.execPath, '-e', '0'],
};
const env = { ...process.env, ENV_SYNC_HOME: path.join(scratch, 'home') };
delete env.NODE_OPTIONS;

/** Runs `call` of bin/env-sync.js (runCommands or writeCodeCache) on the new bundle in a plain node. */
function inPlainNode(call, commands, file) {
  const done = spawnSync(
    process.execPath,
    [
      '-e',
      `require(process.argv[1]).${call}(process.argv[2], JSON.parse(process.argv[3]), process.argv[4])`,
      bin,
      next.pathname,
      JSON.stringify(commands),
      file ?? '',
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  if (done.status !== 0)
    throw new Error(`${call} ${file ?? ''} failed while building dist/:\n${done.stderr}`);
}
try {
  for (const repo of Object.values(repos)) mkdirSync(repo);
  inPlainNode(
    'writeCodeCache',
    Object.entries(repos).flatMap(([mode, repo]) =>
      [['init', '--mode', mode], ...Object.values(daily)].map((argv) => ['-C', repo, ...argv]),
    ),
    'main.cjs.cache',
  );
  const warmUps = {
    // set again, on a new key: the same path as the first set (a commit), not "nothing to commit".
    set: inEach(Object.values(repos), ['set', 'WARM_UP_AGAIN']),
    get: inEach(Object.values(repos), daily.get),
    run: inEach(Object.values(repos), daily.run),
    fetch: inEach(clones, ['fetch']),
  };
  inPlainNode('runCommands', [
    ...Object.values(repos).map((repo, i) => ['clone', repo, clones[i]]),
    ...inEach(Object.values(repos), ['set', 'WARM_UP_FETCHED']),
  ]);
  for (const word of OWN_CACHE) inPlainNode('writeCodeCache', warmUps[word], `main.${word}.cache`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

try {
  renameSync(dist, old);
} catch {}
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
