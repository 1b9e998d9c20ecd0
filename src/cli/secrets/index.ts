// Secrets workflow: set, get, list, import, export, run, status, diff, history, env, checkout.

import { CheckoutCommand } from './checkout.ts';
import { DiffCommand } from './diff.ts';
import { EnvCreateCommand, EnvDeleteCommand, EnvListCommand } from './env.ts';
import { ExportCommand } from './export.ts';
import { GetCommand } from './get.ts';
import { HistoryCommand } from './history.ts';
import { ImportCommand } from './import.ts';
import { ListCommand } from './list.ts';
import { RunCommand } from './run.ts';
import { SetCommand } from './set.ts';
import { StatusCommand } from './status.ts';
import { UnsetCommand } from './unset.ts';

export const secretsCommands = [
  SetCommand,
  GetCommand,
  UnsetCommand,
  ListCommand,
  ImportCommand,
  ExportCommand,
  RunCommand,
  StatusCommand,
  DiffCommand,
  CheckoutCommand,
  HistoryCommand,
  EnvListCommand,
  EnvCreateCommand,
  EnvDeleteCommand,
];
