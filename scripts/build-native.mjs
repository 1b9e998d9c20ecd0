// Compiles the Node-API addons of src/native/ into dist/: replace-process.c (execve for `env-sync run`, see
// src/cli/secrets/run-exec.ts) and ed25519-batch.c (the Ed25519 checks of a long membership chain on libuv's
// thread pool, see src/membership/signature-pool.ts), with the system's C compiler ($CC, else cc; $CFLAGS and
// $LDFLAGS added) and the Node-API headers of the node-api-headers package: Node-API is stable across Node
// versions, so an addon does not depend on the Node that built it. ed25519-batch calls the OpenSSL that node exports (declaring the few
// prototypes it uses), so it needs no OpenSSL headers either. Windows has no execve: there `run` spawns its
// command, as it does where no compiler could build the addon; and without ed25519-batch, signatures are
// checked on JS worker threads (same verdicts, slower). A failure is a warning here; under CI=true it is an
// error, as CI must test what users run.

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ADDONS = [
  {
    name: 'replace-process',
    without: "the native helper of 'env-sync run'",
    fallback: 'run will spawn its command',
  },
];

/**
 * A loadable module whose Node-API (and OpenSSL) symbols resolve against the running node, all of them when it
 * is loaded, not at their first call: a node without one of the OpenSSL functions ed25519-batch uses then
 * fails the require, which falls back to JS workers, instead of killing the process from a pool thread.
 */
const linkFlags = (platform) =>
  platform === 'darwin'
    ? ['-bundle', '-undefined', 'dynamic_lookup', '-Wl,-bind_at_load']
    : ['-shared', '-fPIC', '-Wl,-z,now'];

/** Words of a variable such as CC="ccache gcc" or CFLAGS="-O3 -march=native" (no shell quoting). */
const words = (value) => (value ?? '').split(/\s+/).filter((word) => word !== '');

/** Builds `<dir>/<addon>.node` for each addon; returns false when one is not built here. */
export function buildNativeAddons(dir) {
  let built = true;
  for (const addon of ADDONS) built = buildOne(dir, addon) && built;
  return built;
}

function buildOne(dir, { name, without, fallback }) {
  if (process.platform === 'win32') return false;
  const source = fileURLToPath(new URL(`../src/native/${name}.c`, import.meta.url));
  const failed = (why) => {
    const message = `${without} was not built (${why}): ${fallback}`;
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
      path.join(dir, `${name}.node`),
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
