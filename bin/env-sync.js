#!/usr/bin/env node
// The env-sync command: runs the CLI that scripts/build.mjs bundles into dist/main.cjs, compiled with the V8
// code cache the build recorded (dist/main.cjs.cache), so a cold start skips compiling what the daily
// commands run. V8 ignores a cache it cannot use (another Node version, a damaged file) and compiles.
// CommonJS (bin/package.json): Node 20 has no code cache for ES modules.

'use strict';

const { readFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const path = require('node:path');
const { Script } = require('node:vm');

const BUNDLE = path.join(__dirname, '../dist/main.cjs');
const CACHE = `${BUNDLE}.cache`;

/** Compiles and runs the bundle, with `cachedData` if given; returns the script and the bundle's exports. */
function load(cachedData) {
  const script = new Script(wrap(readFileSync(BUNDLE, 'utf8')), { filename: BUNDLE, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, path.dirname(BUNDLE));
  return { script, bundle: module.exports };
}

function readCache() {
  try {
    return readFileSync(CACHE);
  } catch {
    return undefined;
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  // A stack trace (--debug) names src/ files and lines: source maps on, and the bundle loaded by require, as
  // Node maps only what its module loader compiled.
  const debug = options.includes('--debug') || process.env.ENV_SYNC_DEBUG === '1';
  if (debug) process.setSourceMapsEnabled(true);
  const bundle = debug ? require(BUNDLE) : load(readCache()).bundle;
  bundle.main(args, { mayReplaceProcess: true }).then((code) => {
    process.exitCode = code;
  });
} else {
  // For scripts/build.mjs, which records the cache.
  module.exports = { load, CACHE };
}
