#!/usr/bin/env node
// The env-sync command: runs the CLI that scripts/build.mjs bundles into dist/main.cjs. CommonJS
// (bin/package.json): one file to read, no ES module loader to start.

'use strict';

const args = process.argv.slice(2);
const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
// A stack trace (--debug) names src/ files and lines: the bundle's source map, read only when asked for,
// must be turned on before the bundle loads.
if (options.includes('--debug') || process.env.ENV_SYNC_DEBUG === '1') process.setSourceMapsEnabled(true);

require('../dist/main.cjs')
  .main(args, { mayReplaceProcess: true })
  .then((code) => {
    process.exitCode = code;
  });
