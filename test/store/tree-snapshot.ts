// A fingerprint of a directory tree (every path, its mode and a hash of its content) to prove that a failed
// command changed nothing on disk.

import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const stat = lstatSync(full);
      const mode = (stat.mode & 0o7777).toString(8);
      const rel = path.relative(root, full);
      if (stat.isDirectory()) {
        out[`${rel}/`] = `dir ${mode}`;
        walk(full);
      } else if (stat.isSymbolicLink()) {
        out[rel] = `link ${readlinkSync(full)}`;
      } else {
        out[rel] = `file ${mode} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`;
      }
    }
  };
  walk(root);
  return out;
}
