// A short local demo of the plumbing (replaced by the two-peer sync demo once sync lands).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const bin = new URL('../bin/env-sync.js', import.meta.url).pathname;
const dir = mkdtempSync(path.join(tmpdir(), 'env-sync-demo-'));
const env = { ...process.env, ENV_SYNC_HOME: path.join(dir, '.home') };
const run = (args, input) => {
  console.log(`$ env-sync ${args.join(' ')}`);
  const out = execFileSync(process.execPath, [bin, ...args], { cwd: path.join(dir, 'repo'), env, input, encoding: 'utf8' });
  process.stdout.write(out);
  return out.trim();
};
try {
  execFileSync('mkdir', ['-p', path.join(dir, 'repo')]);
  run(['init', '--mode', 'dev-plaintext-http']);
  const snapshot = JSON.stringify({ type: 'snapshot', version: 1, encoding: 'plain', entries: { API_URL: 'https://example.test' } });
  const id = run(['hash-object', '-w', '--json', '--stdin'], snapshot);
  run(['cat-file', '-p', id]);
  const commit = run(['commit-tree', id, '-m', 'first snapshot']);
  run(['update-ref', 'refs/heads/main', commit]);
  run(['ls-tree', 'HEAD']);
  run(['fsck']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
