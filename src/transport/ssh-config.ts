// The settings ~/.ssh/config gives one host, as OpenSSH applies them (first value wins, `Host` patterns with
// wildcards and negation), parsed by the ssh-config package. Only what the built-in client honours is read.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SSHConfig from 'ssh-config';
import { EnvSyncError } from '../errors.ts';
import type { SshTarget } from './ssh-url.ts';

export type StrictHostKeyChecking = 'yes' | 'accept-new';

export interface SshHostSettings {
  /** The name or address to connect to (`HostName`, or the URL's host). */
  readonly hostName: string;
  readonly port: number;
  readonly user: string;
  /** Identity files to offer, in order (`IdentityFile`, or the OpenSSH defaults). */
  readonly identityFiles: readonly string[];
  readonly identitiesOnly: boolean;
  readonly connectTimeoutSeconds: number | undefined;
  readonly strictHostKeyChecking: StrictHostKeyChecking;
  /** Where host keys are looked up; new ones are appended to the first. */
  readonly knownHostsFiles: readonly string[];
}

const DEFAULT_IDENTITIES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];
const DEFAULT_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];

export async function sshHostSettings(target: SshTarget, home = os.homedir()): Promise<SshHostSettings> {
  const file = path.join(home, '.ssh', 'config');
  const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw new EnvSyncError('E_CONFIG', `cannot read ${file} (${error.code ?? 'error'})`);
  });
  let computed: Record<string, string | string[]>;
  try {
    // `Match exec` would run a shell command from the config: OpenSSH does, a sync tool need not.
    computed = SSHConfig.parse(text).compute(target.host, { ignoreCase: true, matchExec: false });
  } catch (error) {
    throw new EnvSyncError('E_CONFIG', `${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  const one = (key: string): string | undefined => {
    const value = computed[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const many = (key: string): string[] => {
    const value = computed[key];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  };
  const user = target.user ?? one('user') ?? os.userInfo().username;
  const hostName = expandTokens(one('hostname') ?? target.host, { home, host: target.host, user });
  const expand = (value: string) => expandTokens(value, { home, host: hostName, user });
  const identityFiles = many('identityfile');
  const knownHosts = many('userknownhostsfile')
    .flatMap((value) => value.split(/\s+/))
    .filter(Boolean);
  return {
    hostName,
    port: target.port ?? portOf(one('port'), file),
    user,
    identityFiles: (identityFiles.length > 0 ? identityFiles : DEFAULT_IDENTITIES).map(expand),
    identitiesOnly: one('identitiesonly')?.toLowerCase() === 'yes',
    connectTimeoutSeconds: secondsOf(one('connecttimeout'), file),
    strictHostKeyChecking: strictnessOf(one('stricthostkeychecking'), file),
    knownHostsFiles: (knownHosts.length > 0 ? knownHosts : DEFAULT_KNOWN_HOSTS).map(expand),
  };
}

/** `~` and the tokens OpenSSH expands in file names: %d (home), %h (host), %r (remote user), %%. */
function expandTokens(value: string, tokens: { home: string; host: string; user: string }): string {
  const tilde = value === '~' || value.startsWith('~/') ? `${tokens.home}${value.slice(1)}` : value;
  return tilde.replace(/%([dhr%])/g, (_, token: string) =>
    token === 'd' ? tokens.home : token === 'h' ? tokens.host : token === 'r' ? tokens.user : '%',
  );
}

function portOf(value: string | undefined, file: string): number {
  if (value === undefined) return 22;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new EnvSyncError('E_CONFIG', `${file}: Port ${value} is not a port number`);
  return port;
}

function secondsOf(value: string | undefined, file: string): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0)
    throw new EnvSyncError('E_CONFIG', `${file}: ConnectTimeout ${value} is not a number of seconds`);
  return seconds === 0 ? undefined : seconds;
}

function strictnessOf(value: string | undefined, file: string): StrictHostKeyChecking {
  const lower = value?.toLowerCase() ?? 'ask';
  // `ask` needs a prompt; like OpenSSH without a terminal, it refuses unknown hosts (as `yes` does).
  if (lower === 'yes' || lower === 'ask') return 'yes';
  // `no` would accept a changed key too: that is never done here, so it means what accept-new does.
  if (lower === 'accept-new' || lower === 'no' || lower === 'off') return 'accept-new';
  throw new EnvSyncError('E_CONFIG', `${file}: StrictHostKeyChecking ${value} is not yes, accept-new or no`);
}
