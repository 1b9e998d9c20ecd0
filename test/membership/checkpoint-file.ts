// The checkpoint file as docs/membership.md#checkpoint describes it, read and written independently of
// src/membership/chain-checkpoint.ts, for tests that alter it.

import { createHash } from 'node:crypto';

/** The file's records (docs/membership.md#checkpoint): one JSON per line after a 16-hex-digit checksum. */
export type Rec = Record<string, unknown>;
export const records = (text: string): Rec[] =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line.slice(17)));
export const lineOf = (record: Rec): string => {
  const json = JSON.stringify(record);
  return `${createHash('sha256').update(json).digest('hex').slice(0, 16)} ${json}\n`;
};
/** The last root, and for each bucket the page it points at. */
export function live(text: string): { root: Rec; pages: Rec[] } {
  const root = records(text).at(-1)!;
  const bytes = Buffer.from(text);
  const pages = (root.pages as [number, number, string][]).map(([offset, length]) =>
    JSON.parse(bytes.subarray(offset + 17, offset + length).toString()),
  );
  return { root, pages };
}
/** A file written whole from `pages` and `root` (offsets, checksums and `at` recomputed), as the format says. */
export function rewrite(pages: readonly Rec[], root: Rec, mix = (refs: unknown[]) => refs): string {
  let text = '';
  const refs: [number, number, string][] = [];
  for (const page of pages) {
    const line = lineOf(page);
    refs[page.bucket as number] = [Buffer.byteLength(text), Buffer.byteLength(line), line.slice(0, 16)];
    text += line;
  }
  const { at: _, ...rest } = root;
  return text + lineOf({ ...rest, pages: mix(refs), at: Buffer.byteLength(text) });
}
