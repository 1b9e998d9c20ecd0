// Porcelain: the commands people use every day.

import { ConfigGetCommand, ConfigListCommand, ConfigSetCommand } from './config.ts';
import { IdentityInitCommand, IdentityShowCommand } from './identity.ts';
import { InitCommand } from './init.ts';

export const porcelainCommands = [
  InitCommand,
  ConfigGetCommand,
  ConfigSetCommand,
  ConfigListCommand,
  IdentityInitCommand,
  IdentityShowCommand,
];
