// The options every command that contacts a remote shares: `--quiet`, and for SSH remotes the remote program
// and accepting a new host key; and the terminal prompt for an identity file's passphrase.

import { Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import type { Repository } from '../../store/repository.ts';
import { remoteProgram, sshCommandSetting } from '../../sync/remotes.ts';
import type { SshOptions } from '../../transport/ssh.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { isTerminal, promptSecret } from '../secrets/prompt-secret.ts';

export abstract class RemoteCommand extends EnvSyncCommand {
  remoteProgram = Option.String('--remote-program', {
    description: 'the env-sync command to run on an SSH remote (default: remote.<name>.program, or env-sync)',
  });
  acceptNewHostKey = Option.Boolean('--accept-new-host-key', false, {
    description: 'trust an SSH host that known_hosts does not list yet, and add its key there',
  });
  quiet = Option.Boolean('-q,--quiet', false, {
    description: 'report nothing of the progress: only warnings and errors are printed',
  });

  protected override print(text: string): void {
    if (!this.quiet) super.print(text);
  }

  /** A line on stderr about the work done (objects and bytes received), left out with `--quiet`. */
  protected progress(text: string): void {
    if (!this.quiet) this.context.stderr.write(`${text}\n`);
  }

  /** For `remote` of `repo`, or for a URL with no repository yet (clone). */
  protected sshOptions(repo: Repository | null, remote: string): SshOptions {
    return {
      program: this.remoteProgram ?? (repo === null ? undefined : remoteProgram(repo, remote)),
      sshCommand: sshCommandSetting(repo),
      acceptNewHostKey: this.acceptNewHostKey,
      remoteName: remote,
      askPassphrase: askPassphraseOnTerminal,
    };
  }
}

async function askPassphraseOnTerminal(file: string): Promise<string> {
  if (!isTerminal(process.stdin)) {
    throw new EnvSyncError(
      'E_AUTH',
      `${file} is protected by a passphrase and there is no terminal to ask for it; add it to ssh-agent (ssh-add) first`,
    );
  }
  return promptSecret(process.stdin, process.stderr, `Enter passphrase for ${file}: `);
}
