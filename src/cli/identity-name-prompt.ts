// The name a new identity is shown to peers by: asked on first use at a terminal, with `user@host` as the
// default; without a terminal the default is taken silently (docs/identity.md#names).

import { createInterface } from 'node:readline/promises';

/** `fallback`, or what the user types instead when stdin and stderr are a terminal. */
export async function askIdentityName(fallback: string): Promise<string> {
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) return fallback;
  const lines = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await lines.question(`env-sync: name shown to your peers [${fallback}]: `)).trim();
    return answer === '' ? fallback : answer;
  } finally {
    lines.close();
  }
}
