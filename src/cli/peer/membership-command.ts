// Shared by the `peer` commands and `log`: open a secure-peer repository (refusing other modes clearly),
// load its membership chain, and fix "now" once per command.

import { nowSeconds } from '../../clock.ts';
import { EnvSyncError } from '../../errors.ts';
import type { StoredChain } from '../../membership/chain-store.ts';
import type { Registry } from '../../membership/registry.ts';
import type { Repository } from '../../store/repository.ts';
import { EnvSyncCommand } from '../base-command.ts';

export abstract class MembershipCommand extends EnvSyncCommand {
  /** Seconds since the epoch, fixed once per command (docs/membership.md#rules). */
  readonly now = nowSeconds();

  /** The repository, if it is secure-peer: membership exists only there. */
  protected async openSecurePeer(): Promise<Repository> {
    const repo = await this.openRepository();
    if (repo.mode !== 'secure-peer') {
      throw new EnvSyncError(
        'E_MODE',
        `membership commands need a secure-peer repository; this one is ${repo.mode}, which has no peer registry`,
      );
    }
    return repo;
  }

  /** The registry at the canonical tip (from this machine's verified record while the chain is unchanged). */
  protected async loadRegistry(repo: Repository): Promise<Registry> {
    const { loadRegistry } = await import('../../membership/chain-store.ts');
    const loaded = await loadRegistry(repo, this.now);
    if (loaded === null) {
      throw new EnvSyncError(
        'E_EVENT_INVALID',
        'this repository has no membership chain (refs/members is missing)',
      );
    }
    return loaded.registry;
  }

  protected async loadChain(repo: Repository, verifySignatures = false): Promise<StoredChain> {
    const { requireChain } = await import('../../membership/chain-store.ts');
    return requireChain(repo, { now: this.now, verifySignatures });
  }
}
