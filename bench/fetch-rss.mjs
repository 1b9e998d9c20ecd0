// Preloaded into a measured env-sync process (`node --import ./bench/fetch-rss.mjs …`): on exit, writes the
// process's peak resident set size in bytes to the file named by ENV_SYNC_BENCH_RSS.
import { writeFileSync } from 'node:fs';

const file = process.env.ENV_SYNC_BENCH_RSS;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
