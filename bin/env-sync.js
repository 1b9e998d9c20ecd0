#!/usr/bin/env node
// The env-sync command: loads the bundled CLI (dist/main.cjs, built by scripts/build.mjs) with the V8 code
// cache recorded at build time, so a cold start does not compile the bundle again. CommonJS on purpose
// (bin/package.json): Node 20 has no code cache for ES modules, nor a built-in one for CommonJS.

'use strict';

const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const path = require('node:path');
const { setFlagsFromString } = require('node:v8');
const { Script } = require('node:vm');

/** Compiles and runs the bundle in `dir` (with its code cache when V8 accepts it); returns its exports. */
function runBundle(dir, cachedData) {
  const file = path.join(dir, 'main.cjs');
  const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dir);
  return { script, exports: module.exports };
}

/**
 * The daily commands have a code cache of their own, recorded after running just that command: it holds only
 * what the command compiles, so it is quicker to load than the cache of all the warm-up commands.
 */
const OWN_CACHE = new Set(['get', 'run', 'set', 'fetch']);

function cacheFile(dir, argv) {
  return path.join(dir, OWN_CACHE.has(argv[0]) ? `main.${argv[0]}.cache` : 'main.cjs.cache');
}

function loadBundle(dir, argv) {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile(dir, argv));
  } catch {
    // no cache (a build interrupted before it was made): compile without one
  }
  return runBundle(dir, cachedData).exports;
}

/** Runs the bundle in `dir` through `commands` (argv arrays), each of which must succeed. */
async function runCommands(dir, commands) {
  const bundle = runBundle(dir);
  for (const argv of commands) {
    const code = await bundle.exports.main(argv);
    if (code !== 0) throw new Error(`env-sync ${argv.join(' ')} exited with ${code}`);
  }
  return bundle;
}

/**
 * Called by scripts/build.mjs in a plain `node`: runs `commands` (see runCommands), then records the code
 * cache into `file` (under `dir`), which then holds the functions those commands compiled as well as the
 * top-level code (a cache made before running holds only the latter).
 */
async function writeCodeCache(dir, commands, file) {
  setFlagsFromString(SHORT_LIVED_BUDGET);
  const { script } = await runCommands(dir, commands);
  writeFileSync(path.join(dir, file), script.createCachedData());
}

/**
 * Ends the process once the command is done. When nothing is left that would keep Node's event loop alive
 * (a close of a file in flight aside, which the kernel completes), exiting at once is what Node would do
 * next anyway, minus tearing down its heap and any garbage collection still queued: 3–7 ms of a cold `get`.
 * Anything else in flight (a write, a timer, a socket, a running child) lets Node exit in its own time. The
 * check waits two turns of the loop: handles the command closed (a child's, say) finish closing in the first.
 */
function exitWhenIdle(code) {
  process.exitCode = code;
  setImmediate(() =>
    setImmediate(() => {
      const pending = process.getActiveResourcesInfo?.() ?? ['unknown'];
      if (pending.every((resource) => resource === 'CloseReq')) process.exit();
    }),
  );
}

/**
 * V8 hands a function to its optimizing compiler (TurboFan, on a background thread) once it has run through
 * `--interrupt-budget` bytes of bytecode; the default, 66 KiB, suits long-lived programs. A command lives a few
 * hundred milliseconds: at the default, a full fetch spent a third of its CPU compiling, mostly code that
 * finished compiling too late to pay off, on two cores it shares with the inflate thread (and, in the bench,
 * with the server). Only `serve` lives long enough to want the default. Set before the bundle is compiled,
 * and so also in the process that records a code cache (scripts/build.mjs calls writeCodeCache through this
 * module): V8 accepts a cache only from a process with the same flags. serve's cache is therefore rejected: a
 * server compiles its bundle once.
 */
const SHORT_LIVED_BUDGET = '--interrupt-budget=1200000';
const LONG_RUNNING = new Set(['serve']);

/**
 * Node's own code cache for its built-in modules was made with the default flags too, so a built-in first
 * loaded after the flag changes is compiled from source (crypto alone: 10-20 ms). The built-ins that commands
 * load are loaded first: every command reads files, hashes and reads os; the sync commands add zlib and http
 * (a fetch from a path or a bundle loads http for nothing: cheaper than compiling it when a URL needs it).
 */
const BUILT_INS = ['node:crypto', 'node:fs/promises', 'node:os'];
const SYNC_BUILT_INS = ['node:zlib', 'node:http'];
const COMMAND_BUILT_INS = new Map([
  ...['fetch', 'pull', 'clone', 'push'].map((command) => [command, SYNC_BUILT_INS]),
  // set reads a piped value from stdin, a net.Socket.
  ['set', ['node:net']],
]);

function favourShortRun(argv) {
  for (const name of [...BUILT_INS, ...(COMMAND_BUILT_INS.get(argv[0]) ?? [])]) require(name);
  setFlagsFromString(SHORT_LIVED_BUDGET);
}

/**
 * `run` hands this process to its command (execve) through the native helper built into dist/ where the
 * platform has one (scripts/build-native.mjs); without it, null, and run spawns the command as a child.
 */
function replaceProcessIn(dir) {
  return () => {
    try {
      return require(path.join(dir, 'replace-process.node')).replaceProcess;
    } catch {
      return null;
    }
  };
}

/**
 * A long membership chain's signatures are checked on libuv's pool by the native addon built into dist/ where
 * the platform has a compiler (scripts/build-native.mjs); the bundle finds its loader under this symbol (see
 * src/membership/signature-pool.ts), and checks on JS worker threads when it is missing or fails to load.
 */
function registerEd25519Batch(dir) {
  globalThis[Symbol.for('env-sync.loadEd25519Batch')] = () => require(path.join(dir, 'ed25519-batch.node'));
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const dist = path.join(__dirname, '../dist');
  registerEd25519Batch(dist);
  if (!LONG_RUNNING.has(argv[0])) favourShortRun(argv);
  loadBundle(dist, argv)
    .main(argv, { loadReplaceProcess: replaceProcessIn(dist) })
    .then(exitWhenIdle);
} else {
  module.exports = { OWN_CACHE, SHORT_LIVED_BUDGET, runCommands, writeCodeCache };
}
