// The trusted-owner-ssh pipe: runs `<program> upload-pack|receive-pack '<path>'` on the remote over SSH, with
// the built-in client (ssh2) or, when ENV_SYNC_SSH_COMMAND or core.sshCommand names one, the system's ssh.
// docs/transports.md#trusted-owner-ssh-ssh.

import { EnvSyncError } from '../errors.ts';
import type { Service } from '../sync/messages.ts';
import type { Exchange, Transport } from '../sync/transport-interface.ts';
import { type SilentExit, spawnExchange } from './process.ts';
import type { AskPassphrase } from './ssh-auth.ts';
import { parseSshUrl, remoteCommand, type SshTarget, sshDestination } from './ssh-url.ts';

export interface SshOptions {
  /** The env-sync command on the remote (`remote.<name>.program`, `--remote-program`); default `env-sync`. */
  readonly program?: string | undefined;
  /** A shell command to run instead of the built-in client, as git's GIT_SSH_COMMAND. */
  readonly sshCommand?: string | undefined;
  readonly acceptNewHostKey?: boolean;
  /** The remote's name, for the hint on setting its program. */
  readonly remoteName?: string | undefined;
  readonly askPassphrase?: AskPassphrase;
}

const DEFAULT_REMOTE_PROGRAM = 'env-sync';

export function sshTransport(url: string, options: SshOptions = {}): Transport {
  const target = parseSshUrl(url);
  const program = options.program ?? DEFAULT_REMOTE_PROGRAM;
  return {
    url,
    async connect(service: Service): Promise<Exchange> {
      const command = remoteCommand(program, service, target.path);
      const onSilentExit = silentExitReason(url, program, options);
      if (options.sshCommand !== undefined && options.sshCommand.trim() !== '') {
        return spawnExchange(sshCommandLine(options.sshCommand, target, command, options), onSilentExit);
      }
      const { sshHostSettings } = await import('./ssh-config.ts');
      const { ssh2Exchange } = await import('./ssh-client.ts');
      return ssh2Exchange({
        settings: await sshHostSettings(target),
        command,
        acceptNewHostKey: options.acceptNewHostKey ?? false,
        askPassphrase: options.askPassphrase ?? noTerminal,
        onSilentExit,
      });
    },
  };
}

/** git's GIT_SSH_COMMAND: the command through `sh -c`, with `-p PORT`, `[user@]host` and the command appended. */
function sshCommandLine(
  sshCommand: string,
  target: SshTarget,
  command: string,
  options: SshOptions,
): string[] {
  return [
    '/bin/sh',
    '-c',
    `${sshCommand} "$@"`,
    sshCommand,
    ...(target.port === undefined ? [] : ['-p', String(target.port)]),
    ...(options.acceptNewHostKey ? ['-o', 'StrictHostKeyChecking=accept-new'] : []),
    sshDestination(target),
    command,
  ];
}

/** A remote that answered nothing: exit status 127 is the shell's "command not found". */
function silentExitReason(url: string, program: string, options: SshOptions): SilentExit {
  return (code) => {
    if (code === 0) return null;
    if (code === 127) {
      const key = `remote.${options.remoteName ?? '<name>'}.program`;
      return new EnvSyncError(
        'E_REMOTE',
        `${url}: the remote has no '${program}' on its PATH (exit status 127); set ${key} (or --remote-program) to its path there`,
      );
    }
    if (code === 255 && options.sshCommand !== undefined)
      return new EnvSyncError('E_REMOTE', `${url}: ssh failed (exit status 255); its message is above`);
    const status = code === null ? 'without an exit status' : `with status ${code}`;
    return new EnvSyncError('E_REMOTE', `${url}: the remote command ended ${status} before answering`);
  };
}

async function noTerminal(file: string): Promise<string> {
  throw new EnvSyncError('E_AUTH', `${file} needs its passphrase and there is no terminal to ask for it`);
}
