// Where a user's identity lives: $ENV_SYNC_HOME, else $XDG_CONFIG_HOME/env-sync, else ~/.config/env-sync.
// Per user and machine, outside any repository, so no copy of a repository ever carries keys (docs/identity.md).

import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export function defaultIdentityHome(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const explicit = env.ENV_SYNC_HOME;
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  // The XDG spec says a relative $XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'env-sync');
  return join(home, '.config', 'env-sync');
}
