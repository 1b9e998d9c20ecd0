// `npm run demo`: a real two-peer sync on loopback (`env-sync demo`: two repositories in a temporary directory,
// each with its own ENV_SYNC_HOME, served over dev-plaintext-http, fetched and merged, then cleaned up).
import { spawnSync } from 'node:child_process';

const bin = new URL('../bin/env-sync.js', import.meta.url).pathname;
const result = spawnSync(process.execPath, [bin, 'demo'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
