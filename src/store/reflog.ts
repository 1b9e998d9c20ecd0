// The reflog: one line per ref update under logs/<ref>, appended and fsynced before the ref moves.
// Line format (docs/repository-layout.md#reflog): `<old> <new> <peer> <time>\t<reason>\n`.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EnvSyncError } from '../errors.ts';
import { FILE_MODE, isNotFound, makeDirectory, withPath } from './fs-atomic.ts';
import { isObjectId, type ObjectId } from './object-id.ts';

export const ZERO_ID = '0'.repeat(64);

export interface ReflogEntry {
  readonly old: ObjectId | null;
  readonly new: ObjectId | null;
  readonly peer: string;
  readonly time: number;
  readonly reason: string;
}

export async function appendReflog(logsDir: string, ref: string, entry: ReflogEntry): Promise<void> {
  const file = path.join(logsDir, ref);
  await makeDirectory(path.dirname(file));
  const handle = await fs.open(file, 'a', FILE_MODE);
  try {
    await handle.writeFile(formatReflogLine(entry));
    await handle.sync();
  } catch (error) {
    throw withPath(error, file);
  } finally {
    await handle.close();
  }
}

export function formatReflogLine(entry: ReflogEntry): string {
  const peer = entry.peer.replace(/[\s]/g, '_') || 'unknown';
  const reason = entry.reason.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 500);
  return `${entry.old ?? ZERO_ID} ${entry.new ?? ZERO_ID} ${peer} ${entry.time}\t${reason}\n`;
}

/** Entries oldest first. A torn last line (crash mid-append) is ignored; any other bad line is an error. */
export async function readReflog(logsDir: string, ref: string): Promise<ReflogEntry[]> {
  let text: string;
  try {
    text = await fs.readFile(path.join(logsDir, ref), 'utf8');
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
  const lines = text.split('\n');
  const complete = lines.slice(0, -1);
  return complete.map((line, index) => parseReflogLine(line, `${ref} reflog line ${index + 1}`));
}

function parseReflogLine(line: string, what: string): ReflogEntry {
  const match = /^([0-9a-f]{64}) ([0-9a-f]{64}) (\S+) (\d+)\t(.*)$/.exec(line);
  if (match === null) throw new EnvSyncError('E_REF_CORRUPT', `${what} is malformed`);
  const [, old, next, peer, time, reason] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const id = (hex: string) => (hex === ZERO_ID || !isObjectId(hex) ? null : hex);
  return { old: id(old), new: id(next), peer, time: Number(time), reason };
}
