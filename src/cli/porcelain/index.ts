// Porcelain: the commands people use every day.

import { InitCommand } from './init.ts';

export const porcelainCommands = [InitCommand];
