// `env-sync backup` and `env-sync backup restore`: this machine's identity (and a repository) in one file encrypted
// with an age passphrase, and back.

import path from 'node:path';
import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { readFileBounded } from '../io.ts';
import { isTerminal, promptSecret } from '../secrets/prompt-secret.ts';

/** A backup holds keys and at most a repository's objects: more than this is not one of ours. */
const MAX_BACKUP_BYTES = 1024 * 1024 * 1024;
const PASSPHRASE_VARIABLE = 'ENV_SYNC_PASSPHRASE';

export class BackupCommand extends EnvSyncCommand {
  static override paths = [['backup']];
  static override usage = Command.Usage({
    category: 'Identity',
    description: "write this machine's identity (and the repository) to one passphrase-encrypted file",
    details: `
      Writes \`<file>\` (mode 0600): a tar archive of this machine's identity (its signing, age and TLS keys, its
      certificate and identity.json) and, with \`--repository\`, of the current repository's \`.env-sync/\`,
      encrypted with an age passphrase (scrypt). The stock tools open it: \`age -d <file> | tar -t\`.

      The passphrase is asked twice on the terminal, without echo, or read from the environment variable
      \`${PASSPHRASE_VARIABLE}\` for scripts; it is never an argument. Keep the file and the passphrase apart:
      together they are this machine's keys. \`env-sync backup restore\` brings them back.
    `,
    examples: [
      ['Back up the identity', '$0 backup -o ~/env-sync-identity.age'],
      ['Back up the identity and this repository', '$0 backup --repository -o /media/usb/project.age'],
    ],
  });

  output = Option.String('-o,--output', { required: true, description: 'the file to write' });
  repository = Option.Boolean('--repository', false, { description: "include this repository's .env-sync/" });

  async execute(): Promise<number> {
    const [{ createBackup }, { defaultIdentityHome }, { writePrivateFileAtomic }] = await Promise.all([
      import('../../crypto/backup.ts'),
      import('../../crypto/identity-home.ts'),
      import('../../crypto/private-files.ts'),
    ]);
    const repositoryDir = this.repository ? (await this.openRepository()).workTree : null;
    const passphrase = await readPassphrase(this, true);
    const bytes = await createBackup({ home: defaultIdentityHome(process.env), repositoryDir, passphrase });
    await writePrivateFileAtomic(path.resolve(this.output), bytes);
    this.print(
      `Wrote ${this.output}: the identity${repositoryDir === null ? '' : ` and the repository in ${repositoryDir}`}, encrypted with the passphrase (age, scrypt)`,
    );
    return 0;
  }
}

export class RestoreCommand extends EnvSyncCommand {
  static override paths = [['backup', 'restore']];
  static override usage = Command.Usage({
    category: 'Identity',
    description: 'bring back an identity (and a repository) from a backup',
    details: `
      Decrypts \`<file>\`, made by \`env-sync backup\`, with its passphrase (asked on the terminal, or read from
      \`${PASSPHRASE_VARIABLE}\`), and installs the identity in this machine's identity home
      (\`ENV_SYNC_HOME\`), which must not hold one: an existing identity is never overwritten. If the backup holds
      a repository, it is restored into \`<dir>\` (default: the current directory), which must not hold a
      \`.env-sync/\` yet; \`env-sync checkout\` then writes the working file again.

      A restored identity signs no membership event (approve, revoke) until it has synced with a peer
      (\`env-sync pull\` or \`fetch\`): the backup may be older than events its lost copy signed, and signing on
      an older tip would fork its own history.
    `,
    examples: [
      ['Restore on a new machine', '$0 backup restore ~/env-sync-identity.age'],
      [
        'Restore the identity and a repository into a project',
        '$0 backup restore /media/usb/project.age ~/src/project',
      ],
    ],
  });

  file = Option.String({ name: 'file' });
  dir = Option.String({ required: false, name: 'dir' });

  async execute(): Promise<number> {
    const [{ restoreBackup }, { defaultIdentityHome }] = await Promise.all([
      import('../../crypto/backup.ts'),
      import('../../crypto/identity-home.ts'),
    ]);
    const bytes = await readFileBounded(this.file, MAX_BACKUP_BYTES);
    const passphrase = await readPassphrase(this, false);
    const restored = await restoreBackup(bytes, {
      passphrase,
      home: defaultIdentityHome(process.env),
      repositoryDir: path.resolve(this.dir ?? '.'),
    });
    this.print(
      `Restored identity ${restored.identity.peerId} (${restored.identity.name}) into ${restored.identity.home}`,
    );
    if (restored.repository !== null) this.print(`Restored the repository into ${restored.repository}`);
    this.print("Run 'env-sync pull' before you approve or revoke peers: it brings the group's latest events");
    return 0;
  }
}

/** The passphrase from ENV_SYNC_PASSPHRASE, or asked on the terminal (twice when `confirm`). */
async function readPassphrase(command: EnvSyncCommand, confirm: boolean): Promise<string> {
  const fromEnvironment = process.env[PASSPHRASE_VARIABLE];
  if (fromEnvironment !== undefined && fromEnvironment !== '') return fromEnvironment;
  const { stdin, stderr } = command.context;
  if (!isTerminal(stdin)) {
    throw new EnvSyncError(
      'E_USAGE',
      `no terminal to ask the passphrase on; set ${PASSPHRASE_VARIABLE} for a script`,
    );
  }
  const passphrase = await promptSecret(stdin, stderr, 'Passphrase: ');
  if (passphrase === '') throw new EnvSyncError('E_USAGE', 'the passphrase is empty; nothing was written');
  if (confirm && (await promptSecret(stdin, stderr, 'Passphrase again: ')) !== passphrase) {
    throw new EnvSyncError('E_USAGE', 'the two passphrases differ; nothing was written');
  }
  return passphrase;
}
