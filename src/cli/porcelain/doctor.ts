// `env-sync doctor`: checks this machine's identity and the current repository (its chain, its working file,
// each remote: reachable, pinned, accepting this peer, clocks agreeing), one line per finding. The
// judgements live in model/doctor.ts; this file looks and prints.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import type { Identity } from '../../crypto/identity.ts';
import { isEnvSyncError } from '../../errors.ts';
import type { Finding } from '../../model/doctor.ts';
import type { Repository } from '../../store/repository.ts';
import { EnvSyncCommand } from '../base-command.ts';

export class DoctorCommand extends EnvSyncCommand {
  static override paths = [['doctor']];
  static override usage = Command.Usage({
    category: 'Identity',
    description: 'check the identity, the repository and its remotes, and say what to fix',
    details: `
      Checks, one line each, \`ok\` or \`fix\` with what to do: the identity's files (owner-only permissions,
      keys matching \`identity.json\`, no key rotation left half done) and its retired age keys; in a
      repository, the working file's permissions; in secure-peer, the whole membership chain (every signature
      and rule) and this peer's place in it; and every remote: a path must hold a repository, an HTTPS remote
      must be reachable, present the certificate the chain pins and accept this peer's, with a clock within
      300 s of this machine's (events more than 600 s ahead are refused). SSH remotes are not probed.
      Exits 1 when anything needs fixing. Nothing secret is printed.
    `,
    examples: [['Check everything', '$0 doctor']],
  });

  async execute(): Promise<number> {
    const now = nowSeconds();
    const [doctor, { defaultIdentityHome }] = await Promise.all([
      import('../../model/doctor.ts'),
      import('../../crypto/identity-home.ts'),
    ]);
    const findings: Finding[] = [];
    const { finding, identity } = await doctor.checkIdentity(defaultIdentityHome(process.env));
    findings.push(finding);
    const repo = await this.openRepository().catch(() => null);
    if (identity !== null) {
      const retired = await doctor.checkRetiredAgeKeys(identity, repo);
      if (retired !== null) findings.push(retired);
    }
    if (repo !== null) findings.push(...(await this.checkRepository(repo, identity, now)));
    else
      findings.push({
        check: 'repository',
        ok: true,
        detail: 'not in a repository: only the identity checked',
      });
    for (const { check, ok, detail } of findings) this.print(`${ok ? 'ok ' : 'fix'}  ${check}: ${detail}`);
    return findings.every((found) => found.ok) ? 0 : 1;
  }

  private async checkRepository(
    repo: Repository,
    identity: Identity | null,
    now: number,
  ): Promise<Finding[]> {
    const doctor = await import('../../model/doctor.ts');
    const findings: Finding[] = [];
    const working = await doctor.checkWorkingFile(repo);
    if (working !== null) findings.push(working);
    if (repo.mode === 'secure-peer') findings.push(...(await doctor.checkMembership(repo, identity, now)));
    const { listRemotes } = await import('../../sync/remotes.ts');
    for (const remote of listRemotes(repo)) findings.push(...(await this.checkRemote(repo, remote, now)));
    return findings;
  }

  private async checkRemote(
    repo: Repository,
    remote: { name: string; url: string },
    now: number,
  ): Promise<Finding[]> {
    const check = `remote '${remote.name}'`;
    const [{ judgeServer }, { remoteUrlScheme }] = await Promise.all([
      import('../../model/doctor.ts'),
      import('../../sync/remotes.ts'),
    ]);
    const scheme = remoteUrlScheme(remote.url);
    if (scheme === 'ssh')
      return [{ check, ok: true, detail: "SSH: not probed (run 'env-sync fetch' to test it)" }];
    if (scheme !== 'https' && scheme !== 'http') return [await this.checkLocalRemote(remote, repo)];
    try {
      const { probeServer } = await import('../../transport/probe.ts');
      const tls = scheme === 'https' ? await this.pinnedTls(repo, remote.name) : undefined;
      const probe = await probeServer(remote.url, tls);
      return judgeServer(remote.name, probe.status, probe.serverTime, now);
    } catch (error) {
      if (!isEnvSyncError(error)) throw error;
      return [{ check, ok: false, detail: error.message }];
    }
  }

  private async pinnedTls(repo: Repository, remote: string) {
    const [{ loadRegistry }, { clientTls }] = await Promise.all([
      import('../../membership/chain-store.ts'),
      import('../sync/connect.ts'),
    ]);
    const registry = (await loadRegistry(repo, nowSeconds()))?.registry;
    if (registry === undefined) return undefined;
    return clientTls({ registry, peerId: repo.config.get(`remote.${remote}.peer`) }, `remote '${remote}'`);
  }

  /** A path or file:// URL: a bundle file, or a directory that holds a repository. */
  private async checkLocalRemote(remote: { name: string; url: string }, repo: Repository): Promise<Finding> {
    const check = `remote '${remote.name}'`;
    const { openRepository } = await import('../../store/repository.ts');
    const where = path.resolve(
      repo.workTree,
      remote.url.startsWith('file://') ? new URL(remote.url).pathname : remote.url,
    );
    if ((await stat(where).catch(() => null))?.isFile()) return { check, ok: true, detail: 'a bundle file' };
    const found = await openRepository(where).then(
      (other) => path.resolve(other.workTree) === where,
      () => false,
    );
    return found
      ? { check, ok: true, detail: `${where} holds a repository` }
      : { check, ok: false, detail: `${where} holds no env-sync repository; fix remote.${remote.name}.url` };
  }
}
