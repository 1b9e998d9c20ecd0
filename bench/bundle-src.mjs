// Shared by the benchmarks: bundles a few src/ exports with esbuild (as the CLI build does) and imports them,
// so no TypeScript loader is timed.

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `exportLines` are `export { … } from './src/….ts';` lines, resolved from the repository root. */
export async function bundleSources(name, exportLines) {
  const outfile = path.join(ROOT, 'bench/.work', `${name}.mjs`);
  await build({
    stdin: { contents: exportLines.join('\n'), resolveDir: ROOT, loader: 'ts' },
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}
