// `env-sync upload-pack <path>` and `receive-pack <path>`: the server side of fetch and push over stdin and
// stdout, for a client that runs this command on the remote machine (over SSH in trusted-owner-ssh).

import { Command, Option } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import type { Repository } from '../../store/repository.ts';
import { serveReceivePack } from '../../sync/receive-pack.ts';
import { type ServeOptions, sendError, serveUploadPack } from '../../sync/upload-pack.ts';
import { openRepositoryAt } from '../../transport/local.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { membershipOnReceive } from './membership.ts';

abstract class PackServiceCommand extends EnvSyncCommand {
  repository = Option.String({ name: 'path' });

  protected async serve(service: typeof serveUploadPack, hooks: Partial<ServeOptions> = {}): Promise<number> {
    let repo: Repository;
    try {
      repo = await openRepositoryAt(this.repository, this.repository);
    } catch (error) {
      // The client reads stdout, not our stderr: tell it in a frame why there is nothing to serve.
      await sendError(process.stdout, error);
      throw error;
    }
    const error = await service(repo, process.stdin, process.stdout, {
      advertise: true,
      answer: true,
      ...hooks,
    });
    if (error !== null) {
      this.context.stderr.write(`env-sync: ${error.message.split('\n')[0]}\n`);
      return 1;
    }
    return 0;
  }
}

export class UploadPackCommand extends PackServiceCommand {
  static override paths = [['upload-pack']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'send objects to a fetching client over stdin/stdout',
    details: `
      Serves one fetch of the repository at \`<path>\` (exactly there; parents are not searched) on stdin and
      stdout: writes the advertisement, reads the client's wants and haves, and streams the missing objects
      (docs/protocol.md). A client that only reads the advertisement and closes stdin ends it cleanly. Meant to
      be started by a client, e.g. over an SSH exec channel; not for interactive use.
    `,
    examples: [['What an SSH client runs on the remote', '$0 upload-pack /home/me/project']],
  });

  async execute(): Promise<number> {
    return this.serve(serveUploadPack);
  }
}

export class ReceivePackCommand extends PackServiceCommand {
  static override paths = [['receive-pack']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'receive objects and branch updates from a pushing client over stdin/stdout',
    details: `
      Serves one push into the repository at \`<path>\` on stdin and stdout: writes the advertisement, reads the
      update commands and the pack, verifies every object, then moves each branch by compare-and-swap if it is
      a fast-forward (or the client forced it with a lease), and writes one result per branch. Meant to be
      started by a client, e.g. over an SSH exec channel.
    `,
    examples: [['What an SSH client runs on the remote', '$0 receive-pack /home/me/project']],
  });

  async execute(): Promise<number> {
    const peerId = await this.currentPeerId();
    return this.serve(serveReceivePack, {
      beforeRefUpdates: membershipOnReceive({ peerId, now: nowSeconds() }),
    });
  }
}
