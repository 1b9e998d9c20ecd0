// Bundles the CLI with esbuild into one CommonJS file, dist/main.cjs, with its source map (used by --debug's
// stack traces). age-encryption, node-forge and ssh2 stay in node_modules: the commands that need them
// import them on first use, so the other commands never read them.

import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const dist = new URL('../dist/', import.meta.url).pathname;

rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: dist,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['age-encryption', 'node-forge', 'ssh2'],
  define: { __ENV_SYNC_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});
