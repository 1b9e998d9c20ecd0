// Compiles src/native/replace-process.c (execve for `env-sync run`, see src/cli/secrets/run-exec.ts) into a
// Node-API addon with the system's C compiler ($CC, else cc) and the Node-API headers of the node-api-headers
// package: Node-API is stable across Node versions, so the addon does not depend on the Node that built it.
// Without a compiler (or on Windows, which has no execve) there is no addon, and `run` spawns its command
// instead, with a warning here; under CI=true that is a failure, as CI must test what users run.

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/native/replace-process.c', import.meta.url));

/** Flags that make a loadable module whose Node-API symbols resolve against the running node. */
const LINK_FLAGS = {
  darwin: ['-bundle', '-undefined', 'dynamic_lookup'],
  linux: ['-shared', '-fPIC'],
  freebsd: ['-shared', '-fPIC'],
};

/** Builds `<dir>/replace-process.node`; returns false (after a warning) when it cannot be built here. */
export function buildNativeAddon(dir) {
  const link = LINK_FLAGS[process.platform];
  const output = path.join(dir, 'replace-process.node');
  const failed = (why) => {
    const message = `the native helper of 'env-sync run' was not built (${why}): run will spawn its command`;
    if (process.env.CI === 'true') throw new Error(message);
    process.stderr.write(`warning: ${message}\n`);
    return false;
  };
  if (link === undefined) return failed(`no execve on ${process.platform}`);
  const include = createRequire(import.meta.url)('node-api-headers').include_dir;
  const compiler = process.env.CC || 'cc';
  const done = spawnSync(
    compiler,
    [
      '-O2',
      '-std=c11',
      '-D_POSIX_C_SOURCE=200809L',
      '-Wall',
      '-Wextra',
      ...link,
      '-I',
      include,
      '-o',
      output,
      source,
    ],
    { encoding: 'utf8' },
  );
  if (done.error !== undefined) return failed(`${compiler}: ${done.error.code ?? done.error.message}`);
  if (done.status !== 0) return failed(`${compiler} failed:\n${done.stderr.trim()}`);
  // A newer compiler's new warning must not cost a user the helper, but CI holds the source to none.
  if (done.stderr.trim() !== '' && process.env.CI === 'true')
    throw new Error(`${compiler} warned on ${source}:\n${done.stderr.trim()}`);
  return true;
}
