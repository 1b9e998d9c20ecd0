// `env-sync clone <url> [<dir>]`: a new repository in the remote's group and mode, with the remote as origin
// and a local branch for each of its environments. No plaintext file is written.

import path from 'node:path';
import { Command, Option } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import { moveTrustedState } from '../../membership/trusted-state.ts';
import { readEnvironment } from '../../model/environment.ts';
import { checkOutEnvironment } from '../../model/working-file.ts';
import { shortId } from '../../store/object-id.ts';
import { branchRef, environmentOf, remoteRef } from '../../store/ref-names.ts';
import { initRepository, openRepository } from '../../store/repository.ts';
import { startCloneDirectory } from '../../sync/clone-directory.ts';
import { moveRefs, openUpload, receiveAndMoveRefs } from '../../sync/fetch.ts';
import { DEFAULT_SYNC_LIMITS } from '../../sync/limits.ts';
import { checkUrlAllowedInMode } from '../../sync/remotes.ts';
import { openTransport } from '../../transport/index.ts';
import { EnvSyncCommand } from '../base-command.ts';
import { createSession } from '../session.ts';
import { describeSelf, membershipOnFetch } from './membership.ts';

export class CloneCommand extends EnvSyncCommand {
  static override paths = [['clone']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: "create a repository that joins a remote's group",
    details: `
      Reads the remote's advertisement, creates \`<dir>/.env-sync/\` (default: the last component of the URL) with
      the remote's group id and security mode, records the remote as \`origin\`, fetches everything, and creates
      a local branch \`refs/heads/<env>\` for every environment of the remote (HEAD as on the remote). No
      plaintext working file is written unless \`--checkout\` asks for one (as \`env-sync checkout\` would, after
      the clone succeeded: a peer that cannot read the values yet still gets its clone). \`<dir>\` must not exist or be empty. The clone is built in a hidden directory beside it (\`.<dir>.clone-<pid>-<hex>\`) and renamed onto it once complete: a clone that fails or is interrupted (Ctrl-C, SIGTERM) leaves nothing, and the next clone beside it removes what a killed one left.

      The group id must commit to the advertised mode, or the clone is refused. A secure-peer remote is cloned
      only from a local path or a bundle (mutual TLS once it exists): over \`http://\` the clone stops as soon
      as the advertisement names the mode. In secure-peer the group id is the remote's genesis event: the
      membership chain is verified and applied before any branch is created, and every commit's author must
      have been approved at the event it names.
      The new peer is not a member yet: it cannot read values until an admin approves its join request
      (\`env-sync peer request -o <file>\`, then \`peer approve <file>\` on an admin's machine).

      This is how a repository joins an existing group: \`fetch\` refuses a remote of another group, and a
      repository made by \`init\` is a group of its own. A bundle file is a valid \`<url>\` too.
    `,
    examples: [
      ['Clone a peer served on loopback', '$0 clone http://127.0.0.1:7464 project'],
      ['Clone a repository on this machine', '$0 clone ../project project-copy'],
      ['Clone from a bundle', '$0 clone /media/usb/project.bundle project'],
      ['Clone and write .env at once', '$0 clone --checkout ../project project-copy'],
    ],
  });

  checkout = Option.Boolean('--checkout', false, {
    description: "also write the working file (.env, mode 0600) from the remote's default environment",
  });
  url = Option.String({ name: 'url' });
  dir = Option.String({ required: false, name: 'dir' });

  async execute(): Promise<number> {
    const transport = await openTransport(this.url);
    const dir = path.resolve(this.dir ?? defaultDirectory(this.url));
    const place = await startCloneDirectory(dir);
    const interrupted = (signal: NodeJS.Signals) => {
      place.abandon();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
    let open: Awaited<ReturnType<typeof openUpload>> | null = null;
    try {
      const peer = await this.currentPeerId();
      open = await openUpload(transport, DEFAULT_SYNC_LIMITS, `remote '${this.url}'`);
      // The first moment the mode is known: a secure-peer remote over plain HTTP is refused before any object.
      checkUrlAllowedInMode(open.ad.mode, this.url);
      const { mode, group, groupNonce } = open.ad;
      const repo = await initRepository(place.building, { mode, group, groupNonce });
      repo.config.set('remote.origin.url', storedUrl(this.url));
      await repo.saveConfig();
      const membership = membershipOnFetch({
        peerId: peer,
        source: `remote '${this.url}'`,
        now: nowSeconds(),
      });
      const { stats } = await receiveAndMoveRefs(repo, open, DEFAULT_SYNC_LIMITS, membership.hook, {
        refFor: (env) => remoteRef('origin', env),
        peer,
        reason: `clone ${this.url}`,
      });
      await moveRefs(repo, open.ad, (env) => branchRef(env), peer, `clone ${this.url}`);
      if (open.ad.head !== null) await repo.refs.setHead(open.ad.head);
      await moveTrustedState(repo, async () => {
        await place.finish();
        return openRepository(dir);
      });
      const envs = open.ad.refs.map((ref) => environmentOf(ref.name));
      this.print(`Cloned into ${dir}`);
      this.print(`Group ${shortId(open.ad.group)}, mode ${open.ad.mode}`);
      this.print(
        `${envs.length} environment(s)${envs.length > 0 ? `: ${envs.join(', ')}` : ''}; ${stats.objects} objects`,
      );
      const members = membership.outcome();
      if (members !== null) {
        this.print(`Membership: ${members.added.length} event(s), tip ${shortId(members.tip ?? repo.group)}`);
        this.print(describeSelf(members.self ?? undefined));
      }
      if (open.ad.mode === 'dev-plaintext-http') {
        this.warn('dev-plaintext-http is for debugging only: nothing is encrypted or authenticated');
      }
    } catch (error) {
      place.abandon();
      throw error;
    } finally {
      open?.exchange.close();
      process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    }
    if (this.checkout) await this.#checkOut(dir);
    return 0;
  }

  async #checkOut(dir: string): Promise<void> {
    const session = await createSession(await openRepository(dir));
    const head = await session.repo.refs.headTarget();
    const state = await readEnvironment(session, environmentOf(head));
    if (state.head === null) return;
    const file = await checkOutEnvironment(session, state);
    this.print(`Checked out ${state.env} to ${file.name} (mode 0600)`);
  }
}

function defaultDirectory(url: string): string {
  const name = path.basename(url.replace(/^[a-z]+:\/\//, '').replace(/[/:]+$/, '')).replace(/\.bundle$/, '');
  return name === '' || name.includes(':') ? 'env-sync-clone' : name;
}

/** Paths are stored absolute: the clone lives in another directory than the one the user typed in. */
function storedUrl(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/:]+@[^/:]+:/.test(url) ? url : path.resolve(url);
}
