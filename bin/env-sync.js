#!/usr/bin/env node
// The env-sync command: runs the bundled CLI built by `npm install` (scripts/build.mjs).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
