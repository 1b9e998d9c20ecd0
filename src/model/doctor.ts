// The judgements of `env-sync doctor`: each check of this machine and repository gives one finding, a line
// that says what is right or what to fix. The command does the looking (files, chain, servers); this decides.

import { stat } from 'node:fs/promises';
import { ageKeyPairFromSecretKey } from '../crypto/age-identity-file.ts';
import type { Identity } from '../crypto/identity.ts';
import { loadIdentity } from '../crypto/load-identity.ts';
import { stagedIdentity } from '../crypto/rotate-identity.ts';
import { isEnvSyncError } from '../errors.ts';
import { loadChain } from '../membership/chain-store.ts';
import { SKEW_SECONDS } from '../membership/event-format.ts';
import type { Repository } from '../store/repository.ts';
import { snapshotsSealedTo } from './reader-exposure.ts';
import { workingFile } from './working-file.ts';

export interface Finding {
  readonly check: string;
  readonly ok: boolean;
  /** What is right, or what is wrong and how to fix it: one line, never a secret. */
  readonly detail: string;
}

/** A clock this far from a peer's is a problem before events are refused (at SKEW_SECONDS). */
export const CLOCK_WARNING_SECONDS = SKEW_SECONDS / 2;

/** The identity: its files' permissions and agreement (as every command loads it), and no rotation half done. */
export async function checkIdentity(home: string): Promise<{ finding: Finding; identity: Identity | null }> {
  const check = 'identity';
  try {
    const identity = await loadIdentity(home);
    if ((await stagedIdentity(home)) !== null) {
      const detail = "a key rotation was interrupted; run 'env-sync identity rotate' to finish it";
      return { finding: { check, ok: false, detail }, identity };
    }
    const detail = `${identity.peerId} (${identity.name}): key files owner-only and matching identity.json`;
    return { finding: { check, ok: true, detail }, identity };
  } catch (error) {
    if (!isEnvSyncError(error)) throw error;
    return { finding: { check, ok: false, detail: error.message }, identity: null };
  }
}

/** The retired age keys, and how many snapshots of `repo` each still opens (what keeps it needed). */
export async function checkRetiredAgeKeys(
  identity: Identity,
  repo: Repository | null,
): Promise<Finding | null> {
  const retired = identity.retiredAgeSecretKeys();
  if (retired.length === 0) return null;
  const needed: number[] = [];
  for (const secretKey of retired) {
    const { recipient } = await ageKeyPairFromSecretKey(secretKey, identity.files.retiredAgeKeys);
    const opened = new Set<string>();
    for (const head of repo === null ? [] : await repo.refs.commitTips()) {
      for await (const { id } of snapshotsSealedTo(repo!, head, recipient)) opened.add(id);
    }
    needed.push(opened.size);
  }
  const unused = needed.filter((count) => count === 0).length;
  const detail =
    `${retired.length} retired age key(s) in ${identity.files.retiredAgeKeys}; ` +
    (unused === 0
      ? 'each opens snapshots of this repository'
      : `${unused} open(s) no snapshot of this repository (other clones, bundles or backups may still need it)`);
  return { check: 'retired keys', ok: true, detail };
}

/** The working file (.env by default) holds secrets: owner-only, as checkout writes it. */
export async function checkWorkingFile(repo: Repository): Promise<Finding | null> {
  const file = workingFile(repo);
  const stats = await stat(file.path).catch(() => null);
  if (stats === null || process.platform === 'win32') return null;
  const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
  if ((stats.mode & 0o077) === 0)
    return { check: 'working file', ok: true, detail: `${file.name} is ${mode}` };
  return {
    check: 'working file',
    ok: false,
    detail: `${file.name} is ${mode}, readable by others; run chmod 600 '${file.path}'`,
  };
}

/** The membership chain verified whole, and where this peer stands in it. */
export async function checkMembership(
  repo: Repository,
  identity: Identity | null,
  now: number,
): Promise<Finding[]> {
  let chain: Awaited<ReturnType<typeof loadChain>>;
  try {
    chain = await loadChain(repo, { now, verifySignatures: true });
  } catch (error) {
    if (!isEnvSyncError(error)) throw error;
    return [{ check: 'membership chain', ok: false, detail: error.message }];
  }
  if (chain === null) {
    const detail = 'refs/members is missing: this secure-peer repository has no chain (an interrupted init?)';
    return [{ check: 'membership chain', ok: false, detail }];
  }
  const events = chain.tree.canonical().length;
  const findings: Finding[] = [
    { check: 'membership chain', ok: true, detail: `${events} event(s), every signature and rule verified` },
  ];
  if (identity === null) return findings;
  const record = chain.tree.registry().byKey(identity.signingKey.publicKey);
  const state = record?.state;
  const detail =
    state === 'approved'
      ? `approved ${record!.role}`
      : state === 'pending'
        ? 'pending: an admin must approve this peer before it can read values'
        : state === 'revoked'
          ? `revoked (${record!.reason || 'no reason given'}); join again with a new identity`
          : "not a member: ask to join with 'env-sync peer request'";
  findings.push({ check: 'this peer', ok: state === 'approved', detail });
  return findings;
}

/** What one server answered: whether it accepts this peer's certificate, and how far its clock is. */
export function judgeServer(
  remote: string,
  status: number,
  serverTime: number | null,
  now: number,
): Finding[] {
  const check = `remote '${remote}'`;
  const findings: Finding[] = [
    status === 200
      ? { check, ok: true, detail: 'reachable; its certificate is pinned and it accepts this peer' }
      : status === 403
        ? {
            check,
            ok: false,
            detail:
              'refuses this peer’s certificate: it has not applied this peer’s approval or key rotation yet (have it pull, or run identity rotate again)',
          }
        : { check, ok: false, detail: `answered HTTP ${status}: is it an env-sync server?` },
  ];
  if (serverTime !== null) {
    const skew = serverTime - now;
    const ok = Math.abs(skew) <= CLOCK_WARNING_SECONDS;
    const detail = ok
      ? `within ${Math.abs(skew)} s of this machine's`
      : `clock ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} this machine's; events over ${SKEW_SECONDS} s ahead are refused: fix the clock that is wrong`;
    findings.push({ check: `${check} clock`, ok, detail });
  }
  return findings;
}
