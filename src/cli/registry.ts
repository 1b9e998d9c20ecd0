// Every command, grouped by area, loaded lazily: a command line names its area by its first word, so
// `env-sync get` parses only the secrets commands' code. Help and unknown words load every area.

import { Builtins, type CommandClass } from 'clipanion';
import { HelpCommand } from './help.ts';

type Area = 'porcelain' | 'secrets' | 'sync' | 'peer' | 'plumbing';

const AREAS: Record<Area, () => Promise<CommandClass[]>> = {
  porcelain: async () => (await import('./porcelain/index.ts')).porcelainCommands,
  secrets: async () => (await import('./secrets/index.ts')).secretsCommands,
  sync: async () => (await import('./sync/index.ts')).syncCommands,
  peer: async () => (await import('./peer/index.ts')).peerCommands,
  plumbing: async () => (await import('./plumbing/index.ts')).plumbingCommands,
};

/** The area of each command's first word; test/cli/registry.test.ts keeps it equal to the classes' paths. */
export const AREA_OF_WORD: Readonly<Record<string, Area>> = {
  init: 'porcelain',
  config: 'porcelain',
  identity: 'porcelain',
  set: 'secrets',
  get: 'secrets',
  unset: 'secrets',
  list: 'secrets',
  import: 'secrets',
  export: 'secrets',
  run: 'secrets',
  status: 'secrets',
  diff: 'secrets',
  checkout: 'secrets',
  history: 'secrets',
  env: 'secrets',
  clone: 'sync',
  remote: 'sync',
  fetch: 'sync',
  merge: 'sync',
  pull: 'sync',
  push: 'sync',
  serve: 'sync',
  bundle: 'sync',
  'upload-pack': 'sync',
  'receive-pack': 'sync',
  demo: 'sync',
  peer: 'peer',
  log: 'peer',
  'hash-object': 'plumbing',
  'cat-file': 'plumbing',
  'update-ref': 'plumbing',
  'rev-parse': 'plumbing',
  'show-ref': 'plumbing',
  'ls-tree': 'plumbing',
  'commit-tree': 'plumbing',
  fsck: 'plumbing',
};

const BUILTINS: CommandClass[] = [Builtins.HelpCommand, Builtins.VersionCommand, HelpCommand];
const ORDER: Area[] = ['porcelain', 'secrets', 'sync', 'peer', 'plumbing'];

/** Every command, in the order `env-sync --help` lists them. */
export async function allCommands(): Promise<CommandClass[]> {
  const areas = await Promise.all(ORDER.map((area) => AREAS[area]()));
  return [...BUILTINS, ...areas.flat()];
}

/** The commands a command line can reach: one area when its first word names one, else all of them. */
export async function commandsFor(args: readonly string[]): Promise<CommandClass[]> {
  const first = args[0];
  if (first === '--version' || first === '-v') return BUILTINS;
  const area = first === undefined ? undefined : AREA_OF_WORD[first];
  return area === undefined ? allCommands() : [...BUILTINS, ...(await AREAS[area]())];
}
