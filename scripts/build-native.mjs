// Compiles src/native/replace-process.c (execve for `env-sync run`, see src/cli/secrets/run-exec.ts) into a
// Node-API addon with the system's C compiler ($CC, else cc; $CFLAGS and $LDFLAGS added) and the Node-API
// headers of the node-api-headers package: Node-API is stable across Node versions, so the addon does not
// depend on the Node that built it. Windows has no execve: there `run` spawns its command, as it does where
// no compiler could build the addon (with a warning here; under CI=true that is a failure, as CI must test
// what users run).

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/native/replace-process.c', import.meta.url));

/** A loadable module whose Node-API symbols resolve against the running node when it is loaded. */
const linkFlags = (platform) =>
  platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared', '-fPIC'];

/** Words of a variable such as CC="ccache gcc" or CFLAGS="-O3 -march=native" (no shell quoting). */
const words = (value) => (value ?? '').split(/\s+/).filter((word) => word !== '');

/** Builds `<dir>/replace-process.node`; returns false when it is not built here. */
export function buildNativeAddon(dir) {
  if (process.platform === 'win32') return false;
  const failed = (why) => {
    const message = `the native helper of 'env-sync run' was not built (${why}): run will spawn its command`;
    if (process.env.CI === 'true') throw new Error(message);
    process.stderr.write(`warning: ${message}\n`);
    return false;
  };
  const include = createRequire(import.meta.url)('node-api-headers').include_dir;
  const [compiler, ...compilerArgs] = words(process.env.CC).length > 0 ? words(process.env.CC) : ['cc'];
  const done = spawnSync(
    compiler,
    [
      ...compilerArgs,
      '-O2',
      '-std=c11',
      '-D_POSIX_C_SOURCE=200809L',
      '-Wall',
      '-Wextra',
      ...words(process.env.CFLAGS),
      ...linkFlags(process.platform),
      ...words(process.env.LDFLAGS),
      '-I',
      include,
      '-o',
      path.join(dir, 'replace-process.node'),
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
