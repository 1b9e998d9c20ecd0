// People for CLI tests of several peers: each has a directory under one root and an identity home of
// their own, and runs the built CLI there as a user would.

import path from 'node:path';
import type { Test } from 'tap';
import { type CliResult, runCli } from '../helpers/cli.ts';

export interface Person {
  readonly dir: string;
  readonly home: string;
  cli(args: readonly string[], input?: string): Promise<CliResult>;
  /** Runs and asserts exit 0, showing stderr when it is not. */
  ok(t: Test, args: readonly string[], input?: string): Promise<CliResult>;
  readonly envFile: string;
}

/** `root/<name>`, with the identity home `root/.home-<name>`; the directory is created by init or clone. */
export function person(root: string, name: string): Person {
  const dir = path.join(root, name);
  const home = path.join(root, `.home-${name}`);
  const cli = (args: readonly string[], input?: string) => runCli(args, { cwd: dir, home, input });
  return {
    dir,
    home,
    envFile: path.join(dir, '.env'),
    cli,
    async ok(t, args, input) {
      const result = await cli(args, input);
      t.equal(
        result.code,
        0,
        `${name}: env-sync ${args.join(' ')}${result.code === 0 ? '' : `: ${result.stderr}`}`,
      );
      return result;
    },
  };
}
