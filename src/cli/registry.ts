// Every command class, in the order `env-sync --help` lists them. Each area keeps its own list.

import { Builtins } from 'clipanion';
import { HelpCommand } from './help.ts';
import { peerCommands } from './peer/index.ts';
import { plumbingCommands } from './plumbing/index.ts';
import { porcelainCommands } from './porcelain/index.ts';
import { secretsCommands } from './secrets/index.ts';
import { syncCommands } from './sync/index.ts';

export const commands = [
  Builtins.HelpCommand,
  Builtins.VersionCommand,
  HelpCommand,
  ...porcelainCommands,
  ...secretsCommands,
  ...syncCommands,
  ...peerCommands,
  ...plumbingCommands,
];
