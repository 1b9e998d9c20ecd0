// Bundles the CLI with esbuild into one CommonJS file, dist/main.cjs, with its source map (for --debug's stack
// traces), then records its V8 code cache, dist/main.cjs.cache, which bin/env-sync.js loads (see
// docs/performance.md). Whitespace and comments are left out: comments in the packages carry non-ASCII
// characters, which make V8 decode and hold the whole source as a two-byte string (10 ms of a cold start).
// Names are kept, so error messages and the --debug stack traces read as before. node-forge stays in
// node_modules, required by the commands that make certificates.
// The bundle keeps no import(): bin/env-sync.js compiles it through node:vm, which cannot run one on Node 20.
// No native code: ssh2's optional addons (its crypto binding and cpu-features) are replaced by a module that
// throws, which ssh2 already treats as "not installed" (it then uses node:crypto).

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const dist = new URL('../dist/', import.meta.url).pathname;
const bin = new URL('../bin/env-sync.js', import.meta.url).pathname;

/** Resolves `cpu-features` and any `.node` file to a stub that throws when required. */
const noNativeAddons = {
  name: 'no-native-addons',
  setup(build) {
    build.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => ({
      path: args.path,
      namespace: 'no-native',
    }));
    build.onLoad({ filter: /.*/, namespace: 'no-native' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path}: native addons are not bundled`)});`,
      loader: 'js',
    }));
  },
};

rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: dist,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  supported: { 'dynamic-import': false },
  sourcemap: 'linked',
  external: ['node-forge'],
  plugins: [noNativeAddons],
  define: { __ENV_SYNC_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
  minifyWhitespace: true,
});

// The cache is recorded by a plain `node` (V8 accepts a cache only from the same Node version and flags),
// after set, get and run have run in a scratch repository of each mode, so that it holds the functions those
// commands compile and not only the bundle's top level. The repositories are made by other processes: what
// init compiles would only make the cache larger to load.
const scratch = mkdtempSync(path.join(tmpdir(), 'env-sync-build-'));
const env = { ...process.env, ENV_SYNC_HOME: path.join(scratch, 'home') };
delete env.NODE_OPTIONS;
const record = `
  const { writeFileSync } = require('node:fs');
  const { load, CACHE } = require(process.argv[1]);
  (async () => {
    const { script, bundle } = load();
    for (const args of JSON.parse(process.argv[2]))
      if ((await bundle.main(args)) !== 0) throw new Error('env-sync ' + args.join(' ') + ' failed');
    writeFileSync(CACHE, script.createCachedData());
  })().catch((error) => { console.error(error); process.exitCode = 1; });`;

function inPlainNode(args) {
  const done = spawnSync(process.execPath, args, {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (done.status !== 0)
    throw new Error(`node ${args.join(' ')} failed while building dist/:\n${done.stderr}`);
}

try {
  const repos = ['trusted-owner-ssh', 'secure-peer'].map((mode) => {
    const repo = path.join(scratch, mode);
    mkdirSync(repo);
    inPlainNode([bin, '-C', repo, 'init', '--mode', mode]);
    return repo;
  });
  const daily = [
    ['set', 'WARM_UP=1'],
    ['get', 'WARM_UP'],
    ['run', '--', process.execPath, '-e', '0'],
  ];
  const commands = repos.flatMap((repo) => daily.map((args) => ['-C', repo, ...args]));
  inPlainNode(['-e', record, bin, JSON.stringify(commands)]);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
