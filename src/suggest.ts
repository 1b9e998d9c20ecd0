// "Did you mean": the closest of the names a typo could have meant, by edit distance (fastest-levenshtein).
// Names only: commands, options, keys, environments, remotes, peers; never a value.

import { distance } from 'fastest-levenshtein';

/** ` (did you mean 'x'?)` for the candidate closest to `typed`, or '' when none is close enough. */
export function didYouMean(typed: string, candidates: Iterable<string>): string {
  const close = closest(typed, candidates);
  return close === null ? '' : ` (did you mean '${close}'?)`;
}

/** The candidate within a third of `typed`'s length in edits (at least one), nearest first, then by name. */
export function closest(typed: string, candidates: Iterable<string>): string | null {
  const limit = Math.max(1, Math.floor(typed.length / 3));
  let best: { name: string; edits: number } | null = null;
  for (const name of candidates) {
    if (name === typed) continue;
    const edits = distance(typed.toLowerCase(), name.toLowerCase());
    if (edits > limit) continue;
    if (best === null || edits < best.edits || (edits === best.edits && name < best.name))
      best = { name, edits };
  }
  return best?.name ?? null;
}
