// `env-sync peer revoke`: revoke a peer, re-seal every environment without it, and list the key names whose
// values it could read (never the values), so the user rotates them.

import { Command, Option } from 'clipanion';
import { isRestoredUnsynced } from '../../crypto/backup.ts';
import { EnvSyncError } from '../../errors.ts';
import type { ExposedKeys } from '../../model/reader-exposure.ts';
import type { Repository } from '../../store/repository.ts';
import { isTerminal, promptSecret } from '../secrets/prompt-secret.ts';
import { createSession, loadThisPeer } from '../session.ts';
import { MembershipCommand } from './membership-command.ts';

export class PeerRevokeCommand extends MembershipCommand {
  static override paths = [['peer', 'revoke']];
  static override usage = Command.Usage({
    category: 'Membership',
    description: 'revoke a peer, re-seal secrets without it, and list the keys to rotate',
    details: `
      Appends a signed \`revoke\` event (admins only) to the membership chain. Revocation is final for that key:
      an old approval re-sent later changes nothing, and the peer needs a new identity to join again. A pending
      peer can be revoked too, which rejects its request. The last admin cannot be revoked. The event records
      the heads of the revoked peer's commits this repository holds: those and their ancestors stay valid,
      and every other commit by that peer, whatever it claims, is refused by every member from then on.

      Every environment head is then re-encrypted without the revoked peer. Encryption cannot take back what
      the peer already read, so the command prints the names (never the values) of every key in any snapshot
      the peer could decrypt: rotate those values at their source, then \`env-sync set\` them.

      With \`--rotate\` the command then walks through those keys, asking on the terminal (without echo) for
      each one's new value (Enter skips a key), or takes them from \`--from-file\`, a .env file (a key listed
      in several environments gets its value in each). Each environment's new values become one commit.
      \`env-sync rotation status\` shows later which listed keys still hold a value the peer could read.

      \`<peer>\` is a peer id, a unique prefix of one (4 characters or more) or a peer's name; several matches
      are listed and nothing is revoked.
    `,
    examples: [
      ['Revoke a peer', '$0 peer revoke MFRGGZ-DFMZTW-…'],
      ['Revoke it and record why', '$0 peer revoke MFRGGZ-DFMZTW-… --reason "laptop stolen"'],
      ['Revoke a peer by name', '$0 peer revoke carol'],
      ['Revoke it and type the new value of each key it could read', '$0 peer revoke carol --rotate'],
      ['Revoke it and take the new values from a file', '$0 peer revoke carol --rotate --from-file new.env'],
    ],
  });

  target = Option.String({ name: 'peer' });
  reason = Option.String('--reason', '', { description: 'why, recorded in the event (public to members)' });
  rotate = Option.Boolean('--rotate', false, {
    description: 'then set a new value for each key it could read',
  });
  fromFile = Option.String('--from-file', { description: 'with --rotate: the new values, as a .env file' });

  async execute(): Promise<number> {
    const newValues = await this.#readNewValuesFile();
    const repo = await this.openSecurePeer();
    const identity = await loadThisPeer();
    const [{ authorEvent, requireSigner }, { findPeer }, { keysReadableBy }, { authoredHeads }] =
      await Promise.all([
        import('../../membership/author.ts'),
        import('../../membership/peer-lookup.ts'),
        import('../../model/reader-exposure.ts'),
        import('../../membership/commit-authorization.ts'),
      ]);
    if (Buffer.byteLength(this.reason) > 500)
      throw new EnvSyncError('E_USAGE', '--reason is limited to 500 bytes');
    const record = findPeer(await this.loadRegistry(repo), this.target);
    const exposed = record.state === 'approved' ? await keysReadableBy(repo, record.ageRecipient) : [];
    // The revoked peer's commits this peer holds stay valid; any other commit by it is refused from now on.
    const heads = await authoredHeads(repo, record.peerId);
    const { held } = await authorEvent(
      repo,
      identity.signingKey,
      (current) => {
        requireSigner(current, identity.signingKey, 'revoke peers');
        return { kind: 'revoke', key: record.key, reason: this.reason, heads };
      },
      {
        now: this.now,
        peer: identity.peerId,
        restoredUnsynced: await isRestoredUnsynced(identity.home),
        reason: 'peer revoke',
      },
    );
    this.print(
      `Revoked ${record.peerId} (${record.name}) (event #${held.event.seq} ${held.id.slice(0, 12)})`,
    );
    const { describeReseal, resealEnvironments } = await import('../../model/reseal.ts');
    const resealed = await resealEnvironments(await createSession(repo), `Re-seal: revoked ${record.peerId}`);
    for (const result of resealed) this.print(`${describeReseal(result)}, without it; no value changed`);
    if (exposed.length === 0) {
      this.print(`${record.peerId} could not read any stored value`);
      return 0;
    }
    this.print(`${record.peerId} could read the values of these keys; rotate them:`);
    for (const { env, keys } of exposed) for (const key of keys) this.print(`  ${env}  ${key}`);
    if (this.rotate) await this.#rotateValues(repo, exposed, newValues, record.peerId);
    return 0;
  }

  /** The --from-file values, read and parsed before anything changes; null when they will be typed. */
  async #readNewValuesFile(): Promise<Map<string, string> | null> {
    if (this.fromFile !== undefined && !this.rotate) {
      throw new EnvSyncError('E_USAGE', '--from-file goes with --rotate');
    }
    if (!this.rotate) return null;
    if (this.fromFile === undefined) {
      if (!isTerminal(this.context.stdin)) {
        throw new EnvSyncError(
          'E_USAGE',
          '--rotate asks for each value on a terminal; give --from-file FILE in scripts',
        );
      }
      return null;
    }
    const [{ readFileBounded }, { MAX_DOTENV_BYTES, parseDotenv }] = await Promise.all([
      import('../io.ts'),
      import('../../dotenv/index.ts'),
    ]);
    return parseDotenv(await readFileBounded(this.fromFile, MAX_DOTENV_BYTES));
  }

  /** Sets each exposed key to its new value (typed, or from the file), one commit per environment. */
  async #rotateValues(
    repo: Repository,
    exposed: readonly ExposedKeys[],
    fromFile: Map<string, string> | null,
    revoked: string,
  ): Promise<void> {
    const { changeEnvironment, mergeEntries } = await import('../../model/apply-change.ts');
    const writer = await createSession(repo);
    for (const { env, keys } of exposed) {
      const updates = new Map<string, string>();
      for (const key of keys) {
        const value = fromFile === null ? await this.#askValue(env, key) : fromFile.get(key);
        if (value !== undefined && value !== '') updates.set(key, value);
      }
      const result =
        updates.size === 0
          ? null
          : await changeEnvironment(writer, env, (now) => mergeEntries(now.entries, updates), {
              subject: `Rotate after revoking ${revoked}`,
            });
      const changed = result === null ? 0 : result.diff.changed.length + result.diff.added.length;
      if (result?.commit) this.print(`${env}: rotated ${changed} key(s) in ${result.commit.slice(0, 12)}`);
      if (changed < keys.length) {
        this.print(
          `${env}: ${keys.length - changed} key(s) keep a value it could read; see env-sync rotation status`,
        );
      }
    }
  }

  async #askValue(env: string, key: string): Promise<string> {
    const stdin = this.context.stdin;
    if (!isTerminal(stdin)) throw new EnvSyncError('E_USAGE', '--rotate needs a terminal to ask for values');
    return promptSecret(stdin, this.context.stdout, `new value of ${key} in ${env} (Enter skips): `);
  }
}
