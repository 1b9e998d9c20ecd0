// `env-sync identity export-ci`: print the one-line credential a CI job reads with, for a reader peer only
// (docs/identity.md#ci-credential).

import { Command } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import { CI_CREDENTIAL_VARIABLE, encodeCiCredential } from '../../crypto/ci-credential.ts';
import { EnvSyncError } from '../../errors.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { loadThisPeer } from '../session.ts';

export class IdentityExportCiCommand extends EnvSyncCommand {
  static override paths = [['identity', 'export-ci']];
  static override usage = Command.Usage({
    category: 'Identity',
    description: "print this reader's credential for a CI job",
    details: `
      Run in a secure-peer repository by an identity an admin approved with the role \`reader\` (\`peer approve
      --role reader\`, or \`peer invite --approve --role reader\`). Prints one line on stdout: the group id, this
      peer's public signing key and its age secret key. Store it in the CI system's secret store and give it to
      env-sync as \`${CI_CREDENTIAL_VARIABLE}\`: \`get\`, \`list\`, \`export\` and \`run\` then read values on a machine
      with no identity directory, from a clone or a bundle of the repository. The credential holds no signing
      or TLS key: it cannot commit, push or sign, and revoking the reader (\`peer revoke\`) cuts it off.

      Refused for an identity that is not an approved reader of this group: a credential lives on machines that
      are easy to leak from, so it is never made for a peer that can write. Treat the line as a password.
    `,
    examples: [
      ['Copy the credential to the clipboard', '$0 identity export-ci | pbcopy'],
      ['Read values in a CI job', `${CI_CREDENTIAL_VARIABLE}="$CI_SECRET" $0 run -- npm test`],
    ],
  });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    if (repo.mode !== 'secure-peer') {
      throw new EnvSyncError(
        'E_MODE',
        `a CI credential is for a reader of a secure-peer group; this repository is ${repo.mode}`,
      );
    }
    const identity = await loadThisPeer();
    const [{ requireRegistry }, { requireReaderSelf }] = await Promise.all([
      import('../../membership/chain-store.ts'),
      import('../../membership/reader-role.ts'),
    ]);
    requireReaderSelf(await requireRegistry(repo, nowSeconds()), identity.peerId);
    this.print(encodeCiCredential(repo.group, identity.signingPublicKey, identity.ageSecretKey()));
    return 0;
  }
}
