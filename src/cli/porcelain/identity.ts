// `env-sync identity init|show`: this machine's keys (Ed25519 signing, age X25519, TLS) and peer id.

import { Command, Option } from 'clipanion';
import { identityPublicInfo } from '../../crypto/identity.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { loadThisPeer } from '../session.ts';

export class IdentityInitCommand extends EnvSyncCommand {
  static override paths = [['identity', 'init']];
  static override usage = Command.Usage({
    category: 'Identity',
    description: "create this machine's identity",
    details: `
      Creates the identity in \`$ENV_SYNC_HOME\` (default \`$XDG_CONFIG_HOME/env-sync\`, else
      \`~/.config/env-sync\`): an Ed25519 signing key, an age X25519 identity in the file format the \`age\` CLI
      reads, and a TLS key with a self-signed certificate. The directory is 0700 and every file 0600. Any
      command that needs the identity creates it on first use. The name shown to peers is \`--name\`, else
      what you type at a terminal (offered: \`user@hostname\`), else \`user@hostname\`;
      \`env-sync identity rename\` changes it later.
      An existing identity is never replaced.
    `,
    examples: [
      ['Create the identity with the default name (user@hostname)', '$0 identity init'],
      ['Create it with a name your peers will recognise', '$0 identity init --name "alice laptop"'],
    ],
  });

  name = Option.String('--name', { description: 'the name shown to other peers (default user@hostname)' });

  async execute(): Promise<number> {
    const [{ createIdentity, defaultIdentityName }, { defaultIdentityHome }, { askIdentityName }] =
      await Promise.all([
        import('../../crypto/create-identity.ts'),
        import('../../crypto/identity-home.ts'),
        import('../identity-name-prompt.ts'),
      ]);
    const name = this.name ?? (await askIdentityName(defaultIdentityName()));
    const identity = await createIdentity(defaultIdentityHome(process.env), { name });
    this.print(`Created identity ${identity.peerId} (${identity.name}) in ${identity.home}`);
    return 0;
  }
}

export class IdentityShowCommand extends EnvSyncCommand {
  static override paths = [['identity', 'show'], ['identity']];
  static override usage = Command.Usage({
    category: 'Identity',
    description: "show this machine's peer id, public keys and key files",
    details: `
      Prints the peer id, name, Ed25519 public key, age recipient, TLS certificate fingerprint (SHA-256 of the
      DER certificate) and the paths of the key files. Nothing secret is printed. With \`--json\` the fields
      are \`peerId\`, \`name\`, \`signingPublicKey\`, \`ageRecipient\`, \`certificateFingerprint\`,
      \`ageIdentityFile\` and \`files\`. Key files readable by others are refused, as OpenSSH does.
    `,
    examples: [
      ['Show the identity', '$0 identity show'],
      [
        'Decrypt a snapshot with the stock age CLI',
        'age -d -i "$($0 identity show --json | jq -r .ageIdentityFile)" snapshot.age',
      ],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async execute(): Promise<number> {
    const info = identityPublicInfo(await loadThisPeer());
    if (this.json) {
      this.printJson(info);
      return 0;
    }
    const rows: [string, string][] = [
      ['peer id', info.peerId],
      ['name', info.name],
      ['signing key', info.signingPublicKey],
      ['age recipient', info.ageRecipient],
      ['certificate', `sha256:${info.certificateFingerprint}`],
      ['age identity file', info.ageIdentityFile],
      ['signing key file', info.files.signingKey],
      ['TLS key file', info.files.tlsKey],
      ['TLS certificate', info.files.tlsCertificate],
    ];
    this.print(rows.map(([label, value]) => `${`${label}:`.padEnd(19)}${value}`).join('\n'));
    return 0;
  }
}
