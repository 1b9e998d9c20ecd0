// `env-sync identity rename <name>`: this machine's new name, in identity.json and, inside a secure-peer
// repository, as a signed `rename` event its group's peers apply (docs/membership.md#event-kinds).

import { Command, Option } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import { isRestoredUnsynced } from '../../crypto/backup.ts';
import { validateIdentityName } from '../../crypto/identity-metadata.ts';
import { isEnvSyncError } from '../../errors.ts';
import type { Repository } from '../../store/repository.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { loadThisPeer } from '../session.ts';

export class IdentityRenameCommand extends EnvSyncCommand {
  static override paths = [['identity', 'rename']];
  static override usage = Command.Usage({
    category: 'Identity',
    description: "change the name this machine's identity is shown to peers by",
    details: `
      Inside a secure-peer repository, appends a \`rename\` membership event signed by this peer, which every
      peer applies on its next fetch: \`peer list\`, \`peer audit\`, \`log\` and \`history\` then show the new
      name. A name another peer of the group holds (compared ignoring case) is refused, and so is a rename by a
      reader, which signs no event. Then, and outside any repository, the name in \`identity.json\` changes: the
      name a later join request or \`init\` uses (for a peer not approved yet, only this changes). The peer id and keys stay. An identity in several groups is renamed
      in each by running this in each repository.
    `,
    examples: [['Rename this machine in the current group', '$0 identity rename "alice laptop"']],
  });

  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const name = validateIdentityName(this.name);
    const identity = await loadThisPeer();
    const repo = await this.#securePeerRepository();
    if (repo !== null && (await this.#isMember(repo, identity.peerId))) {
      const { authorEvent, requireSigner } = await import('../../membership/author.ts');
      const now = nowSeconds();
      const { held } = await authorEvent(
        repo,
        identity.signingKey,
        (tree) => {
          requireSigner(tree, identity.signingKey, 'rename itself');
          return { kind: 'rename', name };
        },
        {
          now,
          peer: identity.peerId,
          restoredUnsynced: await isRestoredUnsynced(identity.home),
          reason: 'identity rename',
        },
      );
      this.print(
        `Renamed ${identity.peerId} to ${JSON.stringify(name)} in this group (event #${held.event.seq} ${held.id.slice(0, 12)})`,
      );
    }
    const { renameIdentity } = await import('../../crypto/rename-identity.ts');
    if (name !== identity.name) await renameIdentity(identity, name);
    this.print(`This machine's identity is now named ${JSON.stringify(name)}`);
    return 0;
  }

  /** Approved in the group (a reader too, which rename then refuses): a pending or unknown peer has no name there yet. */
  async #isMember(repo: Repository, peerId: string): Promise<boolean> {
    const { loadRegistry } = await import('../../membership/chain-store.ts');
    const self = (await loadRegistry(repo, nowSeconds()))?.registry.byPeerId(peerId);
    return self?.state === 'approved';
  }

  /** The repository here, if it is secure-peer (where names are membership events); null outside any. */
  async #securePeerRepository(): Promise<Repository | null> {
    try {
      const repo = await this.openRepository();
      return repo.mode === 'secure-peer' ? repo : null;
    } catch (error) {
      if (isEnvSyncError(error, 'E_NOT_A_REPOSITORY')) return null;
      throw error;
    }
  }
}
