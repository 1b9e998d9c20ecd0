// Every command, loaded lazily: a command line names its command by its first word, so `env-sync get` parses
// and initializes only get's module (and what it imports), and clipanion builds its parser for those
// commands alone. Help and unknown words load every command.

import { Builtins, Command, type CommandClass } from 'clipanion';
import { HelpCommand } from './help.ts';

/**
 * Each module of commands, after the first words of the commands it defines, in the order `env-sync --help`
 * lists them; test/cli/man-pages.test.ts checks that each command is found from its first word.
 */
const MODULES: ReadonlyArray<readonly [firstWords: readonly string[], load: () => Promise<object>]> = [
  [['init'], () => import('./porcelain/init.ts')],
  [['config'], () => import('./porcelain/config.ts')],
  [['identity'], () => import('./porcelain/identity.ts')],
  [['identity'], () => import('./porcelain/identity-export-ci.ts')],
  [['identity'], () => import('./porcelain/identity-rename.ts')],
  [['identity'], () => import('./porcelain/identity-rotate.ts')],
  [['backup'], () => import('./porcelain/backup.ts')],
  [['doctor'], () => import('./porcelain/doctor.ts')],
  [['set'], () => import('./secrets/set.ts')],
  [['get'], () => import('./secrets/get.ts')],
  [['unset'], () => import('./secrets/unset.ts')],
  [['list'], () => import('./secrets/list.ts')],
  [['import'], () => import('./secrets/import.ts')],
  [['export'], () => import('./secrets/export.ts')],
  [['run'], () => import('./secrets/run.ts')],
  [['status'], () => import('./secrets/status.ts')],
  [['diff'], () => import('./secrets/diff.ts')],
  [['checkout'], () => import('./secrets/checkout.ts')],
  [['history'], () => import('./secrets/history.ts')],
  [['revert'], () => import('./secrets/revert.ts')],
  [['restore'], () => import('./secrets/restore.ts')],
  [['env'], () => import('./secrets/env.ts')],
  [['clone'], () => import('./sync/clone.ts')],
  [['remote'], () => import('./sync/remote.ts')],
  [['fetch'], () => import('./sync/fetch.ts')],
  [['merge'], () => import('./sync/merge.ts')],
  [['pull'], () => import('./sync/pull.ts')],
  [['push'], () => import('./sync/push.ts')],
  [['serve'], () => import('./sync/serve.ts')],
  [['bundle'], () => import('./sync/bundle.ts')],
  [['upload-pack', 'receive-pack'], () => import('./sync/pack-services.ts')],
  [['demo'], () => import('./sync/demo.ts')],
  [['completion'], () => import('./completion/command.ts')],
  [['peer'], () => import('./peer/request.ts')],
  [['peer'], () => import('./peer/approve.ts')],
  [['peer'], () => import('./peer/revoke.ts')],
  [['peer'], () => import('./peer/list.ts')],
  [['peer'], () => import('./peer/invite.ts')],
  [['peer'], () => import('./peer/audit.ts')],
  [['rotation'], () => import('./peer/rotation-status.ts')],
  [['log'], () => import('./peer/log.ts')],
  [['hash-object'], () => import('./plumbing/hash-object.ts')],
  [['cat-file'], () => import('./plumbing/cat-file.ts')],
  [['update-ref'], () => import('./plumbing/update-ref.ts')],
  [['rev-parse'], () => import('./plumbing/rev-parse.ts')],
  [['show-ref'], () => import('./plumbing/show-ref.ts')],
  [['ls-tree'], () => import('./plumbing/ls-tree.ts')],
  [['commit-tree'], () => import('./plumbing/commit-tree.ts')],
  [['fsck'], () => import('./plumbing/fsck.ts')],
  [['index-pack'], () => import('./plumbing/index-pack.ts')],
];

const BUILTINS: CommandClass[] = [Builtins.HelpCommand, Builtins.VersionCommand, HelpCommand];

function isCommandClass(value: unknown): value is CommandClass {
  return typeof value === 'function' && value.prototype instanceof Command && Object.hasOwn(value, 'paths');
}

/** The command classes the given modules export. */
async function commandsIn(modules: typeof MODULES): Promise<CommandClass[]> {
  const loaded = await Promise.all(modules.map(([, load]) => load()));
  return loaded.flatMap((module) => Object.values(module).filter(isCommandClass));
}

/** Every command, in the order `env-sync --help` lists them. */
export async function allCommands(): Promise<CommandClass[]> {
  return [...BUILTINS, ...(await commandsIn(MODULES))];
}

/**
 * The commands a command line can reach: those of its first word when it names one (the built-ins' paths,
 * `help`, `-h`, `--version`…, never start with a command's word, and clipanion answers `get --help` by
 * itself), else all of them.
 */
export async function commandsFor(args: readonly string[]): Promise<CommandClass[]> {
  const first = args[0];
  if (first === '--version' || first === '-v') return BUILTINS;
  const named = MODULES.filter(([words]) => first !== undefined && words.includes(first));
  return named.length === 0 ? allCommands() : commandsIn(named);
}
