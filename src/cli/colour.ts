// Whether and how to colour what a command prints: only on a terminal, never with NO_COLOR (or the global
// `--no-color`, which sets it), always with FORCE_COLOR. https://no-color.org, https://force-color.org

import picocolors from 'picocolors';

export type Colors = ReturnType<typeof picocolors.createColors>;

/** Whether output written to `stream` is coloured. */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true;
}

/** The colours for `stream`: picocolors' formatters, each the identity when colour is off. */
export function coloursFor(stream: object): Colors {
  return picocolors.createColors(colourWanted(stream as { isTTY?: boolean }));
}
