// Reading command input: stdin and files, bounded so a runaway pipe cannot exhaust memory.

import { promises as fs } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { EnvSyncError } from '../errors.ts';

export async function readAllBounded(stream: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > limit) throw new EnvSyncError('E_OBJECT_TOO_LARGE', `${what} exceeds ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export async function readFileBounded(file: string, limit: number): Promise<Buffer> {
  const stat = await fs.stat(file).catch(() => {
    throw new EnvSyncError('E_IO', `cannot read '${file}': no such file`);
  });
  if (stat.size > limit) throw new EnvSyncError('E_OBJECT_TOO_LARGE', `'${file}' exceeds ${limit} bytes`);
  return fs.readFile(file);
}

/**
 * Asks `question` on the terminal and reads one line: true for y or yes. Null when stdin is not a terminal
 * (a script), which the caller treats as its own default.
 */
export async function askYesNo(
  input: Readable & { isTTY?: boolean },
  output: Writable,
  question: string,
): Promise<boolean | null> {
  if (input.isTTY !== true) return null;
  const { createInterface } = await import('node:readline/promises');
  const lines = createInterface({ input, output, terminal: false });
  try {
    return /^\s*y(es)?\s*$/i.test(await lines.question(`${question} [y/N] `));
  } finally {
    lines.close();
  }
}
