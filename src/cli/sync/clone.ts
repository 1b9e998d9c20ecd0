// `env-sync clone <url> [<dir>]`: a new repository in the remote's group and mode, with the remote as origin
// and a local branch for each of its environments. No plaintext file is written.

import path from 'node:path';
import type { Readable } from 'node:stream';
import { Command, Option } from 'clipanion';
import { nowSeconds } from '../../clock.ts';
import { EnvSyncError } from '../../errors.ts';
import { isToken } from '../../membership/invitation.ts';
import { moveTrustedState } from '../../membership/trusted-state.ts';
import { readEnvironment } from '../../model/environment.ts';
import { checkOutEnvironment } from '../../model/working-file.ts';
import { shortId } from '../../store/object-id.ts';
import { branchRef, environmentOf, remoteRef } from '../../store/ref-names.ts';
import { initRepository, openRepository } from '../../store/repository.ts';
import { startCloneDirectory } from '../../sync/clone-directory.ts';
import { moveRefs, openUpload, receiveAndMoveRefs } from '../../sync/fetch.ts';
import { DEFAULT_SYNC_LIMITS } from '../../sync/limits.ts';
import type { Advertisement } from '../../sync/messages.ts';
import { checkUrlAllowedInMode, remoteUrlScheme } from '../../sync/remotes.ts';
import { openTransport } from '../../transport/index.ts';
import type { ClientTls } from '../../transport/mutual-tls.ts';
import { readAllBounded } from '../io.ts';
import { createSession, loadThisPeer } from '../session.ts';
import { type Joined, joinWithInvitation } from './clone-invitation.ts';
import {
  isRefusedAsStranger,
  parseFingerprint,
  pinnedClientTls,
  pinnedPeerId,
  strangerError,
} from './clone-pinned.ts';
import { describeSelf, membershipOnFetch } from './membership.ts';
import { RemoteCommand } from './ssh-options.ts';

export class CloneCommand extends RemoteCommand {
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
      from a local path, a bundle, or over mutual TLS (with an invitation token, or \`--peer\`): over \`http://\` the clone stops
      as soon as the advertisement names the mode. In secure-peer the group id is the remote's genesis event: the
      membership chain is verified and applied before any branch is created, and every commit's author must
      have been approved at the event it names.

      \`clone <token>\` (or \`clone -\`, reading the token from stdin) joins with an invitation (\`env-sync peer invite\` on an admin's machine): it creates this
      machine's identity if there is none, connects to the token's addresses over mutual TLS pinned to the
      token's certificate, sends a signed join request with the invitation's secret, and clones what this peer
      may see: the membership chain while it is pending, everything once approved (a pre-approved invitation).
      It prints this peer's id and the command the admin runs (\`env-sync peer approve <peer-id>\`); the next
      \`pull\` brings the values. \`origin\` is pinned to the inviter (\`remote.origin.peer\`). A spent, expired,
      cancelled or forged token, a token of another group, or a server with another certificate is refused
      and nothing is written (\`<dir>\` defaults to \`env-sync-clone\`).

      \`--name\` names this machine's identity when the clone creates it (at a terminal the clone asks,
      offering \`user@host\`); a name another peer of the group holds is refused by the inviter.

      \`clone --peer <fingerprint> https://host:port\` clones without a token from the server whose certificate
      has that fingerprint (its \`serve\` prints it; check it with the server's owner, as an SSH host key).
      Without \`--peer\` the handshake shows the server's fingerprint and the clone stops before sending anything.
      \`origin\` is pinned to the approved peer that holds the certificate. A peer the server does not serve (not
      approved yet, or revoked) learns nothing from it and writes nothing: it joins with an invitation token.

      From a path or a bundle, a peer that is not a member yet cannot read values until an admin approves its
      join request (\`env-sync peer request -o <file>\`, then \`peer approve <file>\` on an admin's machine).

      This is how a repository joins an existing group: \`fetch\` refuses a remote of another group, and a
      repository made by \`init\` is a group of its own. A bundle file is a valid \`<url>\` too.

      A trusted-owner-ssh remote is cloned over SSH: \`ssh://[user@]host[:port]/path\`, \`ssh://host/~/path\` or
      \`[user@]host:path\` (relative to the remote home), \`host\` possibly a \`~/.ssh/config\` alias. The client
      runs \`<program> upload-pack '<path>'\` there; \`--remote-program\` sets \`<program>\` (default \`env-sync\`)
      and is recorded as \`remote.origin.program\`. An unknown host key is refused with its fingerprint unless
      \`--accept-new-host-key\` is given; a changed one always. \`ENV_SYNC_SSH_COMMAND\` runs the system's ssh
      instead of the built-in client (docs/transports.md).
    `,
    examples: [
      ['Join a group with an invitation token', '$0 clone env-sync-invite-1.eyJncm91cCI6… project'],
      ['Join with the token read from stdin', 'pbpaste | $0 clone - project'],
      [
        'Join, naming this machine for the group',
        '$0 clone --name "bob desktop" env-sync-invite-1.eyJncm91cCI6… project',
      ],
      [
        "Clone from a peer's server, pinned by its certificate",
        '$0 clone --peer 5f1c…e2a9 https://alice.lan:7464 project',
      ],
      ['Clone a dev-plaintext-http peer served on loopback', '$0 clone http://127.0.0.1:7464 project'],
      ['Clone a repository on this machine', '$0 clone ../project project-copy'],
      ['Clone from a bundle', '$0 clone /media/usb/project.bundle project'],
      ['Clone over SSH, relative to the remote home', '$0 clone desktop:projects/app app'],
      [
        'Clone over SSH from a new host, naming env-sync on it',
        '$0 clone --accept-new-host-key --remote-program /opt/env-sync/bin/env-sync.js ssh://me@desktop:2222/srv/app app',
      ],
      ['Clone and write .env at once', '$0 clone --checkout ../project project-copy'],
    ],
  });

  checkout = Option.Boolean('--checkout', false, {
    description: "also write the working file (.env, mode 0600) from the remote's default environment",
  });
  name = Option.String('--name', {
    description: "this machine's name shown to peers, when clone creates its identity (default user@host)",
  });
  peer = Option.String('--peer', {
    description:
      'clone https:// from the server whose certificate has this fingerprint (as its serve prints it)',
  });
  url = Option.String({ name: 'url' });
  dir = Option.String({ required: false, name: 'dir' });

  async execute(): Promise<number> {
    const { source, invited } = await this.#source();
    // Before anything is written: a name that is not the existing identity's is refused.
    if (this.name !== undefined) await loadThisPeer({ name: this.name });
    const ssh = this.sshOptions(null, 'origin');
    const pinned = invited ? undefined : await this.#pinnedServer();
    const transport = invited ? null : await openTransport(this.url, {}, ssh, pinned?.tls);
    const dir = path.resolve(this.dir ?? (invited ? 'env-sync-clone' : defaultDirectory(this.url)));
    const place = await startCloneDirectory(dir);
    const interrupted = (signal: NodeJS.Signals) => {
      place.abandon();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
    let open: Awaited<ReturnType<typeof openUpload>> | null = null;
    try {
      const joined = invited ? await joinWithInvitation(source, nowSeconds()) : null;
      const url = joined?.url ?? this.url;
      const peer = await this.currentPeerId();
      open = await openUpload(
        transport ?? (await openTransport(url, {}, ssh, joined?.tls)),
        DEFAULT_SYNC_LIMITS,
        `remote '${url}'`,
      ).catch(async (error: unknown) => {
        throw pinned !== undefined && isRefusedAsStranger(error) ? await strangerError(url) : error;
      });
      // The first moment the mode is known: a secure-peer remote over plain HTTP is refused before any object.
      checkUrlAllowedInMode(open.ad.mode, url);
      if (joined !== null) checkCompatible(joined.token, open.ad, url);
      const { mode, group, groupNonce } = open.ad;
      const repo = await initRepository(place.building, { mode, group, groupNonce });
      repo.config.set('remote.origin.url', storedUrl(url));
      if (joined !== null) repo.config.set('remote.origin.peer', joined.token.inviter);
      if (this.remoteProgram !== undefined) repo.config.set('remote.origin.program', this.remoteProgram);
      await repo.saveConfig();
      const membership = membershipOnFetch({ peerId: peer, source: `remote '${url}'`, now: nowSeconds() });
      const { stats } = await receiveAndMoveRefs(repo, open, DEFAULT_SYNC_LIMITS, membership.hook, {
        refFor: (env) => remoteRef('origin', env),
        peer,
        reason: `clone ${url}`,
      });
      if (pinned?.fingerprint !== undefined) {
        repo.config.set('remote.origin.peer', await pinnedPeerId(repo, pinned.fingerprint, url));
        await repo.saveConfig();
      }
      await moveRefs(repo, open.ad, (env) => branchRef(env), peer, `clone ${url}`);
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
        this.print(joined === null ? describeSelf(members.self ?? undefined) : describeJoin(joined));
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

  /** What to clone: a URL, or an invitation token (given, or read from stdin with `-`). */
  async #source(): Promise<{ source: string; invited: boolean }> {
    // `-`: the token on stdin, so its secret is in no process list or shell history.
    const source = this.url === '-' ? await readToken(this.context.stdin) : this.url;
    const invited = isToken(source);
    if (this.url === '-' && !invited) throw new EnvSyncError('E_USAGE', 'stdin holds no invitation token');
    if (this.peer !== undefined && (invited || !source.startsWith('https://'))) {
      throw new EnvSyncError('E_USAGE', '--peer pins the server of an https:// URL (a token names its own)');
    }
    return { source, invited };
  }

  /** An https:// server pinned by --peer (or by nothing yet: the handshake then shows its fingerprint). */
  async #pinnedServer(): Promise<{ tls: ClientTls; fingerprint?: string } | undefined> {
    if (!this.url.startsWith('https://')) return undefined;
    const fingerprint = this.peer === undefined ? undefined : parseFingerprint(this.peer);
    return { tls: await pinnedClientTls(this.url, fingerprint), fingerprint };
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

async function readToken(stdin: Readable): Promise<string> {
  return (await readAllBounded(stdin, 64 * 1024, 'the invitation token')).toString('utf8').trim();
}

/** Where a joiner stands after `clone <token>`, and what the admin runs. */
function describeJoin(joined: Joined): string {
  if (joined.state === 'approved')
    return `You are ${joined.peerId}, approved: \`env-sync pull\` reads the values`;
  return `You are ${joined.peerId}, pending approval; an admin runs: env-sync peer approve ${joined.peerId}`;
}

/** The server that took the join must serve the token's group (a peer may belong to several groups). */
function checkCompatible(token: Joined['token'], ad: Advertisement, url: string): void {
  if (ad.group !== token.group) {
    throw new EnvSyncError(
      'E_GROUP_MISMATCH',
      `${url} serves group ${shortId(ad.group)}, not the invitation's`,
    );
  }
}

function defaultDirectory(url: string): string {
  const name = path.basename(url.replace(/^[a-z]+:\/\//, '').replace(/[/:]+$/, '')).replace(/\.bundle$/, '');
  return name === '' || name.includes(':') ? 'env-sync-clone' : name;
}

/** Paths are stored absolute: the clone lives in another directory than the one the user typed in. */
function storedUrl(url: string): string {
  return remoteUrlScheme(url) === undefined ? path.resolve(url) : url;
}
