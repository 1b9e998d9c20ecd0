// A secure-peer repository made through the store API as `env-sync init` makes it: the identity in `home`
// founds the group (its genesis event names the group and makes it the first admin).

import { foundGroup } from '../../src/cli/porcelain/init.ts';
import { initRepository, type Repository } from '../../src/store/repository.ts';

export async function initSecurePeerRepository(dir: string, home: string): Promise<Repository> {
  const previous = process.env.ENV_SYNC_HOME;
  process.env.ENV_SYNC_HOME = home;
  try {
    const founding = await foundGroup();
    const repo = await initRepository(dir, { mode: 'secure-peer', group: founding.group });
    await founding.store(repo);
    return repo;
  } finally {
    if (previous === undefined) delete process.env.ENV_SYNC_HOME;
    else process.env.ENV_SYNC_HOME = previous;
  }
}
