// Runs every benchmark in turn, each in its own process with the default options, after one build:
// `npm run bench`. Each script prints its own table; docs/performance.md says what each measures.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (args) => {
  const { status } = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (status !== 0) throw new Error(`node ${args.join(' ')} exited with ${status}`);
};

run(['scripts/build.mjs']);
for (const script of ['store.mjs', 'secrets.mjs', 'fetch.mjs', 'membership.mjs', 'mtls.mjs']) {
  console.log(`\n## bench/${script}\n`);
  run([path.join('bench', script)]);
}
