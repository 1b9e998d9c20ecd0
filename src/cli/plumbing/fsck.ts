// `env-sync fsck`: verify the repository's objects, refs, reflogs and permissions.

import { Command, Option } from 'clipanion';
import { everySnapshotEncrypted, plaintextHeads } from '../../model/encryption-audit.ts';
import { encryptsAtRest } from '../../model/readers.ts';
import { type FsckProblem, fsck } from '../../store/fsck.ts';
import { openRepository, type Repository } from '../../store/repository.ts';
import { EnvSyncCommand } from '../base-command.ts';

export class FsckCommand extends EnvSyncCommand {
  static override paths = [['fsck']];
  static override usage = Command.Usage({
    category: 'Plumbing',
    description: 'verify the integrity of the repository',
    details: `
      Checks that \`core.mode\` is still the mode the group was created in (an edited config); that every
      object, loose or packed, hashes to its name, is canonically encoded and of a known type; that every pack
      matches its checksum and its index lists exactly its objects; that every reference between objects,
      every ref and every reflog entry points to an existing object of the right type; that directories are
      0700 and files 0600; and, where the mode encrypts at rest, that snapshots are encrypted (every snapshot
      in secure-peer; each environment's head with trusted-owner-ssh encryption); and in secure-peer, that the
      membership chain verifies from its genesis (every signature and rule) and that every commit reachable
      from a ref is signed by its author, who was approved at the event it names and, if revoked since, made
      it before the revocation. Prints one line per problem
      (\`error: <subject>: <message>\`) and exits 1 if there is any error. Leftover temporary and lock files
      from interrupted writes (and a pack without its index that no ref needs) are printed as notes and do not
      fail the check; a pack whose index was lost while refs need its objects is an error that names
      \`env-sync index-pack\`, which rebuilds the index.
      The summary line counts packed objects: \`ok: <n> objects (<m> in <k> packs), <r> refs\`.
    `,
    examples: [
      ['Verify the repository', '$0 fsck'],
      ['Verify it for a script', '$0 fsck --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print a JSON report' });

  async execute(): Promise<number> {
    // Not this.openRepository(): a mode no longer bound to the group is reported below, not refused.
    const repo = await openRepository(process.cwd(), { checkBinding: false });
    const secure = repo.mode === 'secure-peer';
    const checked = await fsck(repo, secure ? [everySnapshotEncrypted] : []);
    const extra = !secure && encryptsAtRest(repo) ? await plaintextHeads(repo) : [];
    if (secure) extra.push(...(await membershipProblems(repo)));
    const problems = [...checked.problems, ...extra];
    const report = { ...checked, ok: problems.every((p) => p.severity !== 'error'), problems };
    if (this.json) this.printJson(report);
    else {
      for (const problem of report.problems)
        this.print(`${problem.severity}: ${problem.subject}: ${problem.message}`);
      const packed =
        report.packs === 0
          ? ''
          : ` (${report.packedObjects} in ${report.packs} pack${report.packs === 1 ? '' : 's'})`;
      if (report.ok) this.print(`ok: ${report.objects} objects${packed}, ${report.refs} refs`);
    }
    return report.ok ? 0 : 1;
  }
}

/** The chain verified whole, and every commit against it (secure-peer). */
async function membershipProblems(repo: Repository): Promise<FsckProblem[]> {
  const [{ loadChain }, { unauthorizedCommits }, { isEnvSyncError }] = await Promise.all([
    import('../../membership/chain-store.ts'),
    import('../../membership/commit-authorization.ts'),
    import('../../errors.ts'),
  ]);
  try {
    const chain = await loadChain(repo, { verifySignatures: true });
    if (chain === null) return [{ severity: 'error', subject: 'refs/members', message: 'missing' }];
    const commits = await unauthorizedCommits(repo, chain.tree);
    return commits.map(({ id, problem }) => ({
      severity: 'error',
      subject: `commit ${id}`,
      message: problem,
    }));
  } catch (error) {
    if (!isEnvSyncError(error)) throw error;
    return [{ severity: 'error', subject: 'refs/members', message: error.message }];
  }
}
