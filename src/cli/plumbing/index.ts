// Plumbing: small, scriptable commands with exact output formats.

import { CatFileCommand } from './cat-file.ts';
import { CommitTreeCommand } from './commit-tree.ts';
import { FsckCommand } from './fsck.ts';
import { HashObjectCommand } from './hash-object.ts';
import { LsTreeCommand } from './ls-tree.ts';
import { RevParseCommand } from './rev-parse.ts';
import { ShowRefCommand } from './show-ref.ts';
import { UpdateRefCommand } from './update-ref.ts';

export const plumbingCommands = [
  HashObjectCommand,
  CatFileCommand,
  UpdateRefCommand,
  RevParseCommand,
  ShowRefCommand,
  LsTreeCommand,
  CommitTreeCommand,
  FsckCommand,
];
