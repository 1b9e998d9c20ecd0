// The markdown-like text of a command's `details`: paragraphs separated by blank lines and `- ` list items
// whose lines may wrap. Parsed once here for both `--help` (wrapped plain text) and the man pages (roff).

export interface TextBlock {
  readonly kind: 'paragraph' | 'item';
  /** The block's words on one line. */
  readonly text: string;
}

/** The blocks of `details`, whatever its indentation in the source. */
export function textBlocks(details: string): TextBlock[] {
  const lines = details.replace(/\r\n?/g, '\n').split('\n');
  const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => line.search(/\S/)));
  const blocks: { kind: TextBlock['kind']; words: string[] }[] = [];
  let open = false;
  for (const raw of lines) {
    const line = raw.slice(indent);
    if (line.trim() === '') {
      open = false;
    } else if (line.startsWith('- ')) {
      blocks.push({ kind: 'item', words: [line.slice(2).trim()] });
      open = true;
    } else if (open) {
      blocks.at(-1)!.words.push(line.trim());
    } else {
      blocks.push({ kind: 'paragraph', words: [line.trim()] });
      open = true;
    }
  }
  return blocks.map(({ kind, words }) => ({ kind, text: words.join(' ') }));
}

/** `text` cut into lines of at most `width` characters at spaces (a longer word keeps its own line). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
