// Every command, loaded lazily: a command line names its command by its first word, so `env-sync get` parses
// and initializes only get's module (and what it imports). Help and unknown words load every command.

import { Builtins, Command, type CommandClass } from 'clipanion';
import { HelpCommand } from './help.ts';

type Area = 'porcelain' | 'secrets' | 'sync' | 'peer' | 'plumbing';

/** Each area's commands in the order `env-sync --help` lists them. */
const AREAS: Record<Area, () => Promise<CommandClass[]>> = {
  porcelain: async () => (await import('./porcelain/index.ts')).porcelainCommands,
  secrets: async () => (await import('./secrets/index.ts')).secretsCommands,
  sync: async () => (await import('./sync/index.ts')).syncCommands,
  peer: async () => (await import('./peer/index.ts')).peerCommands,
  plumbing: async () => (await import('./plumbing/index.ts')).plumbingCommands,
};

function isCommandClass(value: unknown): value is CommandClass {
  return typeof value === 'function' && value.prototype instanceof Command && Object.hasOwn(value, 'paths');
}

/** The command classes the given modules export. */
async function commandsIn(...modules: Promise<object>[]): Promise<CommandClass[]> {
  return (await Promise.all(modules)).flatMap((module) => Object.values(module).filter(isCommandClass));
}

/**
 * The commands of each first word, from the modules that define them; test/cli/man-pages.test.ts keeps it
 * equal to the classes' paths.
 */
export const COMMANDS_OF_WORD: Readonly<Record<string, () => Promise<CommandClass[]>>> = {
  init: () => commandsIn(import('./porcelain/init.ts')),
  config: () => commandsIn(import('./porcelain/config.ts')),
  identity: () => commandsIn(import('./porcelain/identity.ts')),
  set: () => commandsIn(import('./secrets/set.ts')),
  get: () => commandsIn(import('./secrets/get.ts')),
  unset: () => commandsIn(import('./secrets/unset.ts')),
  list: () => commandsIn(import('./secrets/list.ts')),
  import: () => commandsIn(import('./secrets/import.ts')),
  export: () => commandsIn(import('./secrets/export.ts')),
  run: () => commandsIn(import('./secrets/run.ts')),
  status: () => commandsIn(import('./secrets/status.ts')),
  diff: () => commandsIn(import('./secrets/diff.ts')),
  checkout: () => commandsIn(import('./secrets/checkout.ts')),
  history: () => commandsIn(import('./secrets/history.ts')),
  env: () => commandsIn(import('./secrets/env.ts')),
  clone: () => commandsIn(import('./sync/clone.ts')),
  remote: () => commandsIn(import('./sync/remote.ts')),
  fetch: () => commandsIn(import('./sync/fetch.ts')),
  merge: () => commandsIn(import('./sync/merge.ts')),
  pull: () => commandsIn(import('./sync/pull.ts')),
  push: () => commandsIn(import('./sync/push.ts')),
  serve: () => commandsIn(import('./sync/serve.ts')),
  bundle: () => commandsIn(import('./sync/bundle.ts')),
  'upload-pack': () => commandsIn(import('./sync/pack-services.ts')),
  'receive-pack': () => commandsIn(import('./sync/pack-services.ts')),
  demo: () => commandsIn(import('./sync/demo.ts')),
  peer: () =>
    commandsIn(
      import('./peer/request.ts'),
      import('./peer/approve.ts'),
      import('./peer/revoke.ts'),
      import('./peer/list.ts'),
    ),
  log: () => commandsIn(import('./peer/log.ts')),
  'hash-object': () => commandsIn(import('./plumbing/hash-object.ts')),
  'cat-file': () => commandsIn(import('./plumbing/cat-file.ts')),
  'update-ref': () => commandsIn(import('./plumbing/update-ref.ts')),
  'rev-parse': () => commandsIn(import('./plumbing/rev-parse.ts')),
  'show-ref': () => commandsIn(import('./plumbing/show-ref.ts')),
  'ls-tree': () => commandsIn(import('./plumbing/ls-tree.ts')),
  'commit-tree': () => commandsIn(import('./plumbing/commit-tree.ts')),
  fsck: () => commandsIn(import('./plumbing/fsck.ts')),
};

const BUILTINS: CommandClass[] = [Builtins.HelpCommand, Builtins.VersionCommand, HelpCommand];
const ORDER: Area[] = ['porcelain', 'secrets', 'sync', 'peer', 'plumbing'];

/** Every command, in the order `env-sync --help` lists them. */
export async function allCommands(): Promise<CommandClass[]> {
  const areas = await Promise.all(ORDER.map((area) => AREAS[area]()));
  return [...BUILTINS, ...areas.flat()];
}

/**
 * The commands a command line can reach: those of its first word when it names one (the built-ins' paths,
 * `help`, `-h`, `--version`…, never start with a command's word, and clipanion answers `get --help` by
 * itself), else all of them. Each registered command adds to the parser clipanion builds on every run.
 */
export async function commandsFor(args: readonly string[]): Promise<CommandClass[]> {
  const first = args[0];
  if (first === '--version' || first === '-v') return BUILTINS;
  const load =
    first === undefined || !Object.hasOwn(COMMANDS_OF_WORD, first) ? undefined : COMMANDS_OF_WORD[first];
  return load === undefined ? allCommands() : load();
}
