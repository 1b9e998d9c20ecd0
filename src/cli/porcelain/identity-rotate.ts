// `env-sync identity rotate`: new signing, age and TLS keys for this machine, published as a rotate-key event
// in every group it belongs to, secrets re-sealed to the new age key, and HTTPS remotes told of the new
// certificate. The steps are decided in model/key-rotation.ts and crypto/rotate-identity.ts.

import { Command } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import type { Identity } from '../../crypto/identity.ts';
import { EnvSyncError, isEnvSyncError } from '../../errors.ts';
import type { GroupRotation } from '../../model/key-rotation.ts';
import type { Repository } from '../../store/repository.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { createSession } from '../session.ts';

export class IdentityRotateCommand extends EnvSyncCommand {
  static override paths = [['identity', 'rotate']];
  static override usage = Command.Usage({
    category: 'Identity',
    description: "replace this machine's keys and tell every group",
    details: `
      Makes a new Ed25519 signing key, age key and TLS certificate, and in every secure-peer repository this
      machine has synced (and the current one) appends a \`rotate-key\` event signed by the old key and the new
      one: the peer keeps its name and role under a new peer id, and the old key can sign nothing from then on
      (its commits so far stay valid). The new keys then replace the old ones, every environment head is
      re-sealed to the new age key, and each HTTPS remote is told of the new certificate, which peers pin once
      they hold the event; the old certificate is refused from then on. Restart a running \`env-sync serve\`.

      The old age key is kept in \`age-retired.txt\` beside the identity: every snapshot sealed before the
      rotation (history, merge bases, bundles, backups, other clones) is sealed to it and to no newer key, and
      decryption tries it after the current key. It opens nothing a thief of the old key could not open
      already. \`env-sync doctor\` says which retired keys no repository of this machine needs any more. An
      interrupted rotation is finished by running the command again.
    `,
    examples: [['Rotate this machine’s keys', '$0 identity rotate']],
  });

  async execute(): Promise<number> {
    const now = nowSeconds();
    const [{ defaultIdentityHome }, rotation, keyRotation, { isRestoredUnsynced }] = await Promise.all([
      import('../../crypto/identity-home.ts'),
      import('../../crypto/rotate-identity.ts'),
      import('../../model/key-rotation.ts'),
      import('../../crypto/backup.ts'),
    ]);
    const home = defaultIdentityHome(process.env);
    const current = await this.currentIdentity(home);
    const repositories = await keyRotation.repositoriesToRotate(home, process.cwd());
    const outcomes = new Map<Repository, GroupRotation>();
    if (current !== null) {
      const next = await rotation.stageRotation(current);
      const restoredUnsynced = await isRestoredUnsynced(home);
      for (const repo of repositories) {
        const outcome = await keyRotation
          .rotateInRepository(repo, current, next, { now, restoredUnsynced })
          .catch((error: unknown) => Promise.reject(stoppedIn(repo, error)));
        outcomes.set(repo, outcome);
      }
    }
    const identity = await rotation.installRotation(home, new Date(now * 1000));
    this.print(
      current === null || current.peerId === identity.peerId
        ? `Finished the rotation to ${identity.peerId} (${identity.name})`
        : `Rotated ${current.peerId} to ${identity.peerId} (${identity.name})`,
    );
    for (const repo of repositories) {
      if (await keyRotation.isApprovedIn(repo, identity, now)) {
        await this.finishInRepository(repo, identity, outcomes.get(repo));
      } else if (outcomes.get(repo)?.outcome === 'not-a-member') {
        this.print(
          `${repo.workTree}: not an approved member there; nothing published (request again with the new key)`,
        );
      }
    }
    if (current !== null && current.peerId !== identity.peerId) {
      this.print(
        `Kept the old age key in ${identity.files.retiredAgeKeys}: snapshots sealed before now need it`,
      );
    }
    return 0;
  }

  /** The identity to rotate away from; null when a rotation was interrupted while its files were replaced. */
  private async currentIdentity(home: string): Promise<Identity | null> {
    const [{ loadIdentity }, { stagedIdentity }] = await Promise.all([
      import('../../crypto/load-identity.ts'),
      import('../../crypto/rotate-identity.ts'),
    ]);
    try {
      return await loadIdentity(home);
    } catch (error) {
      if (!isEnvSyncError(error, 'E_IDENTITY') || (await stagedIdentity(home)) === null) throw error;
      return null;
    }
  }

  /** Re-seals every environment to the new age key, then tells each HTTPS remote of the new certificate. */
  private async finishInRepository(
    repo: Repository,
    identity: Identity,
    rotated?: GroupRotation,
  ): Promise<void> {
    const where =
      rotated?.outcome === 'rotated'
        ? ` (event #${rotated.event.event.seq} ${rotated.event.id.slice(0, 12)})`
        : '';
    this.print(`${repo.workTree}: rotated${where}`);
    const { describeReseal, resealEnvironments } = await import('../../model/reseal.ts');
    const resealed = await resealEnvironments(
      await createSession(repo),
      `Re-seal: rotated key of ${identity.peerId}`,
    );
    for (const result of resealed) this.print(`  ${describeReseal(result)}; no value changed`);
    await this.announce(repo, identity);
  }

  private async announce(repo: Repository, identity: Identity): Promise<void> {
    const [{ listRemotes }, { loadRegistry }, { rotationAnnouncement }, { postJoin }, { clientTls }] =
      await Promise.all([
        import('../../sync/remotes.ts'),
        import('../../membership/chain-store.ts'),
        import('../../membership/rotation-announcement.ts'),
        import('../../transport/join-client.ts'),
        import('../sync/connect.ts'),
      ]);
    const remotes = listRemotes(repo).filter((remote) => remote.url.startsWith('https://'));
    if (remotes.length === 0) return;
    const registry = (await loadRegistry(repo, nowSeconds()))!.registry;
    const rotation = registry.byKey(identity.signingKey.publicKey)!.since.event;
    const body = await rotationAnnouncement(repo, rotation);
    for (const remote of remotes) {
      const server = `remote '${remote.name}'`;
      try {
        const pin = { registry, peerId: repo.config.get(`remote.${remote.name}.peer`) };
        await postJoin(remote.url, await clientTls(pin, server), body);
        this.print(`  told ${server}: it now accepts certificate sha256:${identity.certificateFingerprint}`);
      } catch (error) {
        if (!isEnvSyncError(error)) throw error;
        this.print(
          `  could not tell ${server} (${error.message}); it learns the rotation when it fetches from a peer that holds it`,
        );
      }
    }
  }
}

/** A repository that refused the rotation: the keys are not replaced yet, and running again resumes. */
function stoppedIn(repo: Repository, error: unknown): unknown {
  if (!isEnvSyncError(error)) return error;
  return new EnvSyncError(
    error.code,
    `${repo.workTree}: ${error.message}; the keys were not replaced yet: fix this, then run 'env-sync identity rotate' again to resume`,
  );
}
