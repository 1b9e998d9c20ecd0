// `env-sync init`: create a repository in the current directory in one of the three security modes.

import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { nowSeconds } from '../../clock.ts';
import { EnvSyncError } from '../../errors.ts';
import { findGitWorkTree, ignoreSecretsInGit } from '../../model/git-ignore.ts';
import {
  initRepository,
  type Repository,
  SECURITY_MODES,
  type SecurityMode,
} from '../../store/repository.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { loadThisPeer } from '../session.ts';

export const MODE_SUMMARY: Record<SecurityMode, string> = {
  'secure-peer': 'mutual TLS 1.3 between pinned peers, age encryption at rest, signed membership',
  'trusted-owner-ssh': 'SSH to your own machines, plaintext at rest unless --encrypt',
  'dev-plaintext-http': 'plain HTTP on loopback, nothing encrypted, no authentication',
};

export class InitCommand extends EnvSyncCommand {
  static override paths = [['init']];
  static override usage = Command.Usage({
    category: 'Porcelain',
    description: 'create an env-sync repository in the current directory',
    details: `
      Creates \`.env-sync/\` (mode 0700) with its config, HEAD, objects, refs and logs. The security mode is
      chosen once, here, and never mixed: \`secure-peer\` (the default), \`trusted-owner-ssh\` or
      \`dev-plaintext-http\` (debugging only: nothing is encrypted or authenticated).

      In \`secure-peer\` this peer founds a new group: \`init\` writes the genesis membership event (this peer,
      approved, admin) and points \`refs/members\` at it; the group id (\`core.group\`) is that event's id. Others
      join with \`env-sync peer request\` and \`env-sync peer approve\` (see docs/membership.md).

      The first command that needs this machine's identity creates it: \`--name\` names it (shown to peers
      beside the peer id); without it, \`init\` asks at a terminal, offering \`user@host\`, and takes that
      default silently elsewhere. A name another peer of the group holds is refused when joining.

      Inside a git work tree, \`.env-sync/\` and \`.env\` are added to \`.gitignore\` so secrets never reach git.
      Running \`init\` where a repository already exists is an error; nothing is reset.
    `,
    examples: [
      ['Create a repository in the safe default mode', '$0 init'],
      ["Create it, and this machine's identity named for peers", '$0 init --name "alice laptop"'],
      ['Create one synced over SSH between your own machines', '$0 init --mode trusted-owner-ssh'],
      ['The same, with age encryption at rest', '$0 init --mode trusted-owner-ssh --encrypt'],
      ['Create one for local debugging over plain HTTP', '$0 init --mode dev-plaintext-http'],
    ],
  });

  mode = Option.String('--mode', 'secure-peer', {
    description: 'security mode: secure-peer, trusted-owner-ssh or dev-plaintext-http',
    validator: t.isEnum(SECURITY_MODES),
  });

  name = Option.String('--name', {
    description: "this machine's name shown to peers, when init creates its identity (default user@host)",
  });

  encrypt = Option.Boolean('--encrypt', false, {
    description: 'trusted-owner-ssh: encrypt secrets at rest with age (secure-peer always does)',
  });

  async execute(): Promise<number> {
    const cwd = process.cwd();
    if (this.encrypt && this.mode !== 'trusted-owner-ssh') {
      throw new EnvSyncError(
        'E_USAGE',
        this.mode === 'secure-peer'
          ? 'secure-peer always encrypts; --encrypt is not needed'
          : '--encrypt needs --mode trusted-owner-ssh',
      );
    }
    // Before anything is written: a name that is not the existing identity's is refused.
    if (this.name !== undefined) await loadThisPeer({ name: this.name });
    // secure-peer: the group id is the id of the genesis event that makes this peer its first admin.
    const founding = this.mode === 'secure-peer' ? await foundGroup() : null;
    const repo = await initRepository(cwd, {
      mode: this.mode,
      ...(founding === null ? {} : { group: founding.group }),
      extraConfig: this.encrypt ? { 'core.encrypt': 'true' } : {},
    });
    if (founding !== null) await founding.store(repo);
    if (this.mode === 'dev-plaintext-http') {
      this.warn(
        'dev-plaintext-http is for debugging only: nothing is encrypted or authenticated; never use real secrets',
      );
    }
    if ((await findGitWorkTree(cwd)) !== null) {
      const added = await ignoreSecretsInGit(cwd);
      if (added.length > 0) this.print(`Added ${added.join(', ')} to .gitignore`);
    }
    this.print(`Initialized empty env-sync repository in ${repo.dir}/`);
    this.print(`Mode: ${this.mode} (${MODE_SUMMARY[this.mode]})`);
    if (founding !== null) this.print(`Group: ${founding.group} (founded by ${founding.peerId}, admin)`);
    return 0;
  }
}

/** The genesis event for a new secure-peer group, signed by this peer; `store` writes it and refs/members. */
export async function foundGroup() {
  const [{ genesisEvent }, { eventId }, { storeGenesis }] = await Promise.all([
    import('../../membership/build-event.ts'),
    import('../../membership/signing.ts'),
    import('../../membership/chain-store.ts'),
  ]);
  const identity = await loadThisPeer();
  const card = {
    name: identity.name,
    ageRecipient: identity.ageRecipient,
    certificateFingerprint: identity.certificateFingerprint,
  };
  const genesis = genesisEvent(identity.signingKey, card, nowSeconds());
  return {
    group: eventId(genesis),
    peerId: identity.peerId,
    store: (repo: Repository) => storeGenesis(repo, genesis, identity.peerId),
  };
}
