// `env-sync serve` in secure-peer: HTTPS with mutual TLS 1.3 on every --listen address. Each request is
// authorized from the client's certificate against the registry as it is at that moment; joins with an
// invitation are recorded (or approved) as this peer. Decisions live in membership/; this file wires them.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { nowSeconds } from '../../clock.ts';
import { isRestoredUnsynced } from '../../crypto/backup.ts';
import type { Identity } from '../../crypto/identity.ts';
import { peerIdFromPublicKey } from '../../crypto/peer-id.ts';
import { EnvSyncError } from '../../errors.ts';
import { certificateAccess } from '../../membership/certificate-access.ts';
import { loadRegistry } from '../../membership/chain-store.ts';
import { acceptJoin } from '../../membership/network-join.ts';
import { readFileOrNull, writeFileAtomic } from '../../store/fs-atomic.ts';
import type { Repository } from '../../store/repository.ts';
import { syncLimitsFromConfig } from '../../sync/limits.ts';
import type { PeerGate, SyncServerOptions } from '../../transport/http-server.ts';
import { createSession, loadThisPeer } from '../session.ts';
import { membershipOnReceive } from './membership.ts';

/** Where a running `serve` records its addresses, for `peer invite`'s default. */
export const SERVE_ADDRESSES_FILE = 'serve-addresses';
const MAX_CONNECTIONS = 128;

/** What the command lends: its log (stderr, one line each). */
export type ServeLog = (line: string) => void;

/** The identity this server presents, checked to be an approved member of the group now. */
export async function servingIdentity(repo: Repository): Promise<Identity> {
  const identity = await loadThisPeer();
  const loaded = await loadRegistry(repo, nowSeconds());
  const self = loaded?.registry.byKey(identity.signingKey.publicKey);
  if (self?.state !== 'approved') {
    throw new EnvSyncError(
      'E_PEER_UNKNOWN',
      `this peer (${identity.peerId}) is not an approved member of the group; nothing was started`,
    );
  }
  return identity;
}

export function securePeerServerOptions(
  repo: Repository,
  identity: Identity,
  log: ServeLog,
): Pick<SyncServerOptions, 'gate' | 'beforeRefUpdates' | 'maxConnections' | 'idleMs'> {
  const retired = identity.retiredSigningKey;
  // A peer that has not yet heard of this peer's rotation asks for the old certificate by its peer id.
  const retiredName = retired === null ? null : peerIdFromPublicKey(retired.publicKey).toLowerCase();
  const gate: PeerGate = {
    credentials: identity.tlsCredentials(),
    credentialsFor: (serverName) =>
      serverName === retiredName ? (identity.retiredTlsCredentials() ?? undefined) : undefined,
    async access(fingerprint) {
      const now = nowSeconds();
      const loaded = await loadRegistry(repo, now);
      const access = loaded === null ? 'refused' : certificateAccess(loaded.registry, fingerprint, now);
      if (access === 'refused') log(`refused certificate ${fingerprint}: not an approved peer of this group`);
      return access;
    },
    async join(body, fingerprint) {
      const announcement = await import('../../membership/rotation-announcement.ts');
      if (announcement.isRotationAnnouncement(body)) {
        const rotated = await announcement.acceptRotationAnnouncement(repo, body, fingerprint, {
          now: nowSeconds(),
          peer: identity.peerId,
        });
        log(`key rotation: ${rotated.peerId} now presents certificate ${fingerprint}`);
        return { rotated: rotated.peerId };
      }
      const { answer, repeated } = await acceptJoin(repo, identity.signingKey, body, fingerprint, {
        now: nowSeconds(),
        peer: identity.peerId,
        restoredUnsynced: await isRestoredUnsynced(identity.home),
      });
      const who = `${answer.peerId} (${answer.name})`;
      if (repeated) {
        log(`join: ${who} sent its join again; it is ${answer.state}`);
      } else if (answer.state === 'pending') {
        log(`join: ${who} is pending; approve with: env-sync peer approve ${answer.peerId}`);
      } else {
        const { resealEnvironments } = await import('../../model/reseal.ts');
        await resealEnvironments(await createSession(repo), `Re-seal: approved ${who}`);
        log(`join: ${who} approved as ${answer.role} (pre-approved invitation)`);
      }
      return { ...answer };
    },
  };
  return {
    gate,
    beforeRefUpdates: (target, tips) =>
      membershipOnReceive({ peerId: identity.peerId, now: nowSeconds() })(target, tips),
    maxConnections: MAX_CONNECTIONS,
    idleMs: syncLimitsFromConfig(repo.config).idleMs,
  };
}

/**
 * Records the addresses served (`pid <n>`, then one `host:port` a line) while serving; returns what removes
 * the record, if it is still this process's (another serve may have replaced it).
 */
export async function recordAddresses(
  repo: Repository,
  addresses: readonly string[],
): Promise<() => Promise<void>> {
  const file = path.join(repo.dir, SERVE_ADDRESSES_FILE);
  await writeFileAtomic(file, `pid ${process.pid}\n${addresses.join('\n')}\n`);
  return async () => {
    if ((await readRecord(file))?.pid === process.pid) await rm(file, { force: true });
  };
}

/**
 * The addresses a running `serve` of this repository listens on; none if no serve recorded any, or if the
 * one that did is dead (killed before it could remove its record).
 */
export async function servedAddresses(repo: Repository): Promise<string[]> {
  const record = await readRecord(path.join(repo.dir, SERVE_ADDRESSES_FILE));
  return record !== null && isAlive(record.pid) ? record.addresses : [];
}

async function readRecord(file: string): Promise<{ pid: number; addresses: string[] } | null> {
  const text = (await readFileOrNull(file))?.toString('utf8') ?? '';
  const [first = '', ...addresses] = text.split('\n').filter((line) => line !== '');
  const pid = /^pid ([1-9]\d{0,9})$/.exec(first)?.[1];
  return pid === undefined ? null : { pid: Number(pid), addresses };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}
