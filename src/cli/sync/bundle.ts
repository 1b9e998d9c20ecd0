// `env-sync bundle create|verify`: sync for air-gapped machines through a file; a bundle is also a fetch URL.

import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, Option } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import { EnvSyncError } from '../../errors.ts';
import type { ObjectId } from '../../store/object-id.ts';
import { shortId } from '../../store/object-id.ts';
import { environmentOf } from '../../store/ref-names.ts';
import { EnvSyncCommand } from '../base-command.ts';

export class BundleCreateCommand extends EnvSyncCommand {
  static override paths = [['bundle', 'create']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'write environments and their history to a bundle file',
    details: `
      Writes \`<file>\` (atomically, mode 0600) holding the named environments (default: all), every object
      reachable from them, the membership chain (losing fork branches included), and the repository's group and mode: exactly what a server
      would send a client that has nothing, in the same frames (docs/protocol.md#bundles). Carry it to another
      machine and \`fetch\` from it (\`remote add usb /media/usb/project.bundle\`) or \`clone\` it. Values are stored
      as they are in the repository: plaintext unless the mode encrypts at rest.
    `,
    examples: [
      ['Bundle every environment', '$0 bundle create project.bundle'],
      ['Bundle one environment', '$0 bundle create main.bundle main'],
    ],
  });

  file = Option.String({ name: 'file' });
  envs = Option.Rest({ name: 'env' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    const { createBundle } = await import('../../transport/bundle.ts');
    const stats = await createBundle(repo, this.file, this.envs);
    this.print(`wrote ${this.file}: ${stats.refs} environment(s), ${stats.objects} objects`);
    return 0;
  }
}

export class BundleVerifyCommand extends EnvSyncCommand {
  static override paths = [['bundle', 'verify']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'check that a bundle file is complete and intact',
    details: `
      Reads the whole bundle and verifies it as \`fetch\` would: every object's hash, encoding, size and
      references, the order of objects, and that every environment it lists is inside it; in secure-peer also
      every membership event (signature and rules, from the genesis) and that every commit's author was
      approved at the event it names. Nothing is written to any repository. Prints the group, mode and environments (ids only) and exits 0, or fails with the
      first problem. Inside a repository, also says whether this repository can fetch from it (same group and
      mode).
    `,
    examples: [['Verify a bundle before carrying it', '$0 bundle verify project.bundle']],
  });

  file = Option.String({ name: 'file' });

  async execute(): Promise<number> {
    const { verifyBundle } = await import('../../transport/bundle.ts');
    const scratch = path.join(tmpdir(), `env-sync-bundle-verify-${randomBytes(6).toString('hex')}`);
    const { membershipOnFetch } = await import('./membership.ts');
    const membership = membershipOnFetch({
      peerId: 'bundle-verify',
      source: `bundle '${this.file}'`,
      now: nowSeconds(),
      reissue: false,
    });
    const report = await verifyBundle(path.resolve(this.file), scratch, membership.hook);
    this.print(
      `${this.file}: ok, ${report.objects} objects, group ${shortId(report.group as ObjectId)}, mode ${report.mode}`,
    );
    const members = membership.outcome();
    if (members !== null) {
      this.print(
        `membership: ${members.added.length} event(s) verified (signatures and rules), ${members.commitsChecked} commit(s) by approved authors`,
      );
    }
    for (const ref of report.refs) this.print(`${environmentOf(ref.name)} ${ref.id}`);
    const repo = await this.openRepository().catch(() => null);
    if (repo !== null) {
      if (repo.group !== report.group || repo.mode !== report.mode) {
        throw new EnvSyncError(
          'E_GROUP_MISMATCH',
          'this repository is in another group or mode: it cannot fetch this bundle (clone it instead)',
        );
      }
      this.print('this repository can fetch from it');
    }
    return 0;
  }
}
