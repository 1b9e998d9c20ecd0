// Bundles the CLI with esbuild into dist/: one ESM entry plus lazily loaded chunks, so start-up only parses
// what the command needs (heavy modules such as ssh2 and node-forge are loaded by dynamic import).

import { readFileSync, renameSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// Built into a fresh folder and swapped in by rename, so a CLI run during a rebuild never sees a half-built dist/.
const dist = new URL('../dist/', import.meta.url);
const next = new URL(`../dist.next-${process.pid}/`, import.meta.url);
const old = new URL(`../dist.old-${process.pid}/`, import.meta.url);
rmSync(next, { recursive: true, force: true });

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: next.pathname,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minifyWhitespace: true,
  minifySyntax: true,
  // ssh2 ships optional native bindings: leave it to Node's resolver.
  external: ['ssh2', 'cpu-features'],
  define: { __ENV_SYNC_VERSION__: JSON.stringify(version) },
  banner: {
    js: "import { createRequire as __envSyncRequire } from 'node:module'; const require = __envSyncRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

try {
  renameSync(dist, old);
} catch {}
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
