// Sync commands: remotes, fetch, merge, pull, push, clone, serve, bundles, and the stdio pack services.

import { BundleCreateCommand, BundleVerifyCommand } from './bundle.ts';
import { CloneCommand } from './clone.ts';
import { DemoCommand } from './demo.ts';
import { FetchCommand } from './fetch.ts';
import { MergeCommand } from './merge.ts';
import { ReceivePackCommand, UploadPackCommand } from './pack-services.ts';
import { PullCommand } from './pull.ts';
import { PushCommand } from './push.ts';
import { RemoteAddCommand, RemoteListCommand, RemoteRemoveCommand } from './remote.ts';
import { ServeCommand } from './serve.ts';

export const syncCommands = [
  CloneCommand,
  RemoteAddCommand,
  RemoteListCommand,
  RemoteRemoveCommand,
  FetchCommand,
  MergeCommand,
  PullCommand,
  PushCommand,
  ServeCommand,
  BundleCreateCommand,
  BundleVerifyCommand,
  UploadPackCommand,
  ReceivePackCommand,
  DemoCommand,
];
