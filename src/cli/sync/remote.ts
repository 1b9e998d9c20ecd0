// `env-sync remote add|list|remove`: named URLs of other peers, stored as `remote.<name>.url` in the config.

import { Command, Option } from 'clipanion';
import { addRemote, listRemotes, removeRemote } from '../../sync/remotes.ts';
import { EnvSyncCommand } from '../base-command.ts';

export class RemoteAddCommand extends EnvSyncCommand {
  static override paths = [['remote', 'add']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'add a remote',
    details: `
      Records \`<url>\` under \`<name>\` (\`remote.<name>.url\` in \`.env-sync/config\`). Nothing is contacted until
      \`fetch\`. URLs: a local path or \`file://\` URL (a repository, or a bundle file to fetch from),
      \`http://host:port\` for a \`dev-plaintext-http\` peer running \`env-sync serve\`, \`https://host:port\` for a
      \`secure-peer\` one (mutual TLS: the server must present the certificate of an approved peer, or of the one
      peer \`remote.<name>.peer\` names), and for a \`trusted-owner-ssh\` peer \`ssh://[user@]host[:port]/path\`,
      \`ssh://host/~/path\` or \`[user@]host:path\` (relative to the remote home; \`host\` may be a
      \`~/.ssh/config\` alias). A secure-peer repository syncs only over mutual TLS, a local path or a bundle: it
      refuses \`http://\`, \`ssh://\` and \`host:path\`; trusted-owner-ssh refuses \`http://\` and \`https://\`;
      dev-plaintext-http refuses SSH. The check runs here and in \`fetch\`, \`pull\` and \`push\`.
      \`remote.<name>.program\` names env-sync on an SSH remote.
    `,
    examples: [
      ['Add a secure-peer peer that serves', '$0 remote add laptop https://laptop.lan:7464'],
      ['Add a dev-plaintext-http peer served on loopback', '$0 remote add laptop http://127.0.0.1:7464'],
      ['Add a repository on this machine', '$0 remote add backup /srv/secrets/project'],
      ['Add another machine of yours over SSH', '$0 remote add laptop me@laptop:projects/app'],
    ],
  });

  name = Option.String({ name: 'name' });
  url = Option.String({ name: 'url' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    await addRemote(repo, this.name, this.url);
    return 0;
  }
}

export class RemoteListCommand extends EnvSyncCommand {
  static override paths = [['remote', 'list'], ['remote']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'list remotes',
    details:
      'Prints one remote per line as `<name>\\t<url>`, or a JSON array of `{name, url}` with `--json`.',
    examples: [
      ['List remotes', '$0 remote list'],
      ['List them for a script', '$0 remote list --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print JSON' });

  async execute(): Promise<number> {
    const remotes = listRemotes(await this.openRepository());
    if (this.json) this.printJson(remotes);
    else for (const remote of remotes) this.print(`${remote.name}\t${remote.url}`);
    return 0;
  }
}

export class RemoteRemoveCommand extends EnvSyncCommand {
  static override paths = [
    ['remote', 'remove'],
    ['remote', 'rm'],
  ];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'remove a remote and its remote-tracking refs',
    details: `
      Deletes \`remote.<name>.*\` from the config and every \`refs/remotes/<name>/*\` ref (each deletion is
      recorded in the reflog). Objects stay; local branches are not touched.
    `,
    examples: [['Forget a peer', '$0 remote remove laptop']],
  });

  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    await removeRemote(repo, this.name, await this.currentPeerId());
    return 0;
  }
}
