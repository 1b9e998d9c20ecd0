// A repository: the `.env-sync/` directory beside a work tree, with its objects, refs, logs and config.
// `initRepository` creates one; `openRepository` finds the nearest one upward from a directory, like git.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EnvSyncError } from '../errors.ts';
import { Config } from './config.ts';
import { DIR_MODE, isNotFound, makeDirectory, writeFileAtomic } from './fs-atomic.ts';
import { bindNewGroup, checkGroupBinding } from './group-binding.ts';
import { DEFAULT_LOCK_WAIT_MS } from './lockfile.ts';
import { ObjectDatabase } from './object-database.ts';
import { isObjectId, type ObjectId } from './object-id.ts';
import { branchRef } from './ref-names.ts';
import { RefStore } from './refs.ts';

export const REPOSITORY_DIR = '.env-sync';
export const SECURITY_MODES = ['secure-peer', 'trusted-owner-ssh', 'dev-plaintext-http'] as const;
export type SecurityMode = (typeof SECURITY_MODES)[number];
export const DEFAULT_ENVIRONMENT = 'main';
export const FORMAT_VERSION = '1';

export function isSecurityMode(text: string): text is SecurityMode {
  return (SECURITY_MODES as readonly string[]).includes(text);
}

export class Repository {
  readonly workTree: string;
  readonly dir: string;
  readonly objects: ObjectDatabase;
  readonly refs: RefStore;
  config: Config;

  constructor(workTree: string, config: Config) {
    this.workTree = workTree;
    this.dir = path.join(workTree, REPOSITORY_DIR);
    this.objects = new ObjectDatabase(path.join(this.dir, 'objects'));
    this.refs = new RefStore(this.dir, path.join(this.dir, 'logs'), () => this.lockWaitMs);
    this.config = config;
  }

  get mode(): SecurityMode {
    const mode = this.config.get('core.mode') ?? '';
    if (!isSecurityMode(mode))
      throw new EnvSyncError('E_CONFIG', `${this.configPath}: core.mode is not a known mode`);
    return mode;
  }

  get group(): ObjectId {
    const group = this.config.get('core.group') ?? '';
    if (!isObjectId(group))
      throw new EnvSyncError('E_CONFIG', `${this.configPath}: core.group is not a 64-hex id`);
    return group;
  }

  /** `core.groupNonce`: what the group id of a mode without a membership chain commits to, with the mode. */
  get groupNonce(): string | null {
    return this.config.get('core.groupNonce') ?? null;
  }

  /** `core.lockTimeout`: seconds a command waits for a lock another env-sync holds (default 10). */
  get lockWaitMs(): number {
    const text = this.config.get('core.lockTimeout');
    if (text === undefined) return DEFAULT_LOCK_WAIT_MS;
    if (!/^\d{1,6}$/.test(text))
      throw new EnvSyncError('E_CONFIG', `${this.configPath}: core.lockTimeout must be a number of seconds`);
    return Number(text) * 1000;
  }

  get configPath(): string {
    return path.join(this.dir, 'config');
  }

  async saveConfig(): Promise<void> {
    await this.config.write(this.configPath);
  }
}

export interface InitOptions {
  readonly mode: SecurityMode;
  /**
   * The group: secure-peer's genesis event id (init), or a remote's group and nonce (clone), refused unless it
   * commits to `mode`. Without it a repository in another mode founds a group of its own.
   */
  readonly group?: ObjectId;
  readonly groupNonce?: string | null;
  readonly extraConfig?: Readonly<Record<string, string>>;
}

/** Creates `.env-sync/` in `workTree`; an existing repository is an error, never reset. */
export async function initRepository(workTree: string, options: InitOptions): Promise<Repository> {
  const binding = bindNewGroup(options.mode, options.group, options.groupNonce);
  const dir = path.join(workTree, REPOSITORY_DIR);
  await fs.mkdir(workTree, { recursive: true });
  try {
    await fs.mkdir(dir, { mode: DIR_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new EnvSyncError('E_REPOSITORY_EXISTS', `${dir} already exists; refusing to re-initialize it`);
    }
    throw error;
  }
  await fs.chmod(dir, DIR_MODE);
  for (const sub of ['objects', 'refs/heads', 'refs/remotes', 'logs'])
    await makeDirectory(path.join(dir, sub));
  const config = new Config();
  config.set('core.version', FORMAT_VERSION);
  config.set('core.mode', options.mode);
  config.set('core.group', binding.group);
  if (binding.nonce !== null) config.set('core.groupNonce', binding.nonce);
  for (const [key, value] of Object.entries(options.extraConfig ?? {})) config.set(key, value);
  const repo = new Repository(workTree, config);
  await writeFileAtomic(path.join(dir, 'HEAD'), `ref: ${branchRef(DEFAULT_ENVIRONMENT)}\n`);
  // The config is written last: a directory without it is an interrupted init, which fsck reports.
  await repo.saveConfig();
  return repo;
}

/**
 * Opens the repository at `start` or the nearest ancestor that has a `.env-sync/` directory, and refuses it
 * when its mode no longer matches its group (an edited config). Only fsck opens without that check, to report it.
 */
export async function openRepository(
  start: string,
  options: { readonly checkBinding?: boolean } = {},
): Promise<Repository> {
  const repo = await findRepository(start);
  if (options.checkBinding !== false) await checkGroupBinding(repo);
  return repo;
}

async function findRepository(start: string): Promise<Repository> {
  let dir = path.resolve(start);
  for (;;) {
    try {
      const stat = await fs.stat(path.join(dir, REPOSITORY_DIR));
      if (stat.isDirectory()) {
        const config = await Config.read(path.join(dir, REPOSITORY_DIR, 'config'));
        if (config.get('core.version') !== FORMAT_VERSION) {
          throw new EnvSyncError(
            'E_CONFIG',
            `${path.join(dir, REPOSITORY_DIR)}: unsupported repository version`,
          );
        }
        return new Repository(dir, config);
      }
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new EnvSyncError(
        'E_NOT_A_REPOSITORY',
        `not an env-sync repository (or any parent up to /): ${path.resolve(start)}; run 'env-sync init'`,
      );
    }
    dir = parent;
  }
}
