// Membership on fetch, clone, pull, bundle fetch and push, as hooks the sync protocol calls
// (src/membership/receive.ts decides), and what the commands print about it.

import { clearRestoredMarker } from '../../crypto/backup.ts';
import { usingCiCredential } from '../../crypto/ci-credential.ts';
import { defaultIdentityHome } from '../../crypto/identity-home.ts';
import type { MembershipOutcome } from '../../membership/receive.ts';
import type { PeerRecord } from '../../membership/registry.ts';
import { type ObjectId, shortId } from '../../store/object-id.ts';
import type { BeforeRefMoves } from '../../sync/fetch.ts';
import type { BeforeRefUpdates } from '../../sync/upload-pack.ts';
import { loadThisPeer } from '../session.ts';

export type { MembershipOutcome };

const thisPeersKeys = async () => {
  const identity = await loadThisPeer();
  return { current: identity.signingKey, retired: identity.retiredSigningKey };
};

/**
 * A BeforeRefMoves hook for one fetch from `source` (for messages, e.g. `remote 'origin'`), and what it did.
 * `now` (seconds) is fixed once per sync. Repositories in other modes than secure-peer are left untouched.
 */
export function membershipOnFetch(options: {
  readonly peerId: string;
  readonly source: string;
  readonly now: number;
  /** Re-issue this peer's revocations that lost a fork (false for a scratch repository: bundle verify). */
  readonly reissue?: boolean;
}): { readonly hook: BeforeRefMoves; outcome(): MembershipOutcome | null } {
  let outcome: MembershipOutcome | null = null;
  const hook: BeforeRefMoves = async (repo, ad, received) => {
    if (repo.mode !== 'secure-peer') return;
    const { applyFetchedMembership } = await import('../../membership/receive.ts');
    const memberTips = [ad.members, ...ad.memberForks].filter((id): id is ObjectId => id !== null);
    // A CI credential signs nothing, and has no identity home to mark.
    const ownIdentity = options.reissue !== false && !usingCiCredential();
    outcome = await applyFetchedMembership(
      repo,
      { tips: ad.refs.map((ref) => ref.id), memberTips, received },
      { ...options, signer: ownIdentity ? thisPeersKeys : null },
    );
    // This peer has the group's events as a peer serves them: an identity restored from a backup may sign
    // again (docs/identity.md#backup).
    if (ownIdentity) await clearRestoredMarker(defaultIdentityHome(process.env));
  };
  return { hook, outcome: () => outcome };
}

/**
 * The same check on the serving side of a push (receive-pack): events the pushed commits name are applied,
 * and every pushed commit must be authorized, before any branch moves.
 */
export function membershipOnReceive(options: {
  readonly peerId: string;
  readonly now: number;
}): BeforeRefUpdates {
  return async (repo, tips) => {
    if (repo.mode !== 'secure-peer') return;
    const { applyFetchedMembership } = await import('../../membership/receive.ts');
    // No re-issue here: this process may not be the repository's own peer (a local push runs in the pusher's).
    await applyFetchedMembership(
      repo,
      { tips, memberTips: [] },
      { ...options, source: 'the pushing peer', signer: null },
    );
  };
}

/** What fetch prints about membership: ids and counts, never values. Empty when nothing changed. */
export function describeMembership(outcome: MembershipOutcome | null): string[] {
  if (outcome === null) return [];
  const lines: string[] = [];
  if (outcome.added.length > 0) {
    const n = outcome.added.length;
    const fork = outcome.displaced > 0 ? `, fork resolved: ${outcome.displaced} event(s) left the chain` : '';
    lines.push(`members: ${n} new event${n === 1 ? '' : 's'} (tip ${shortId(outcome.tip!)}${fork})`);
  }
  if (outcome.reissued > 0) {
    lines.push(`members: re-issued ${outcome.reissued} event(s) of this peer that lost a fork`);
  }
  if (outcome.dropped > 0) {
    lines.push(`members: ${outcome.dropped} event(s) of this peer that lost a fork no longer apply`);
  }
  if (outcome.waiting > 0) {
    lines.push(
      `members: ${outcome.waiting} approval(s) of this peer lost a fork; run \`env-sync peer approve\` again to confirm them (see \`env-sync peer list\`)`,
    );
  }
  for (const { id, reason } of outcome.refused.slice(0, 5)) {
    lines.push(`members: refused event ${shortId(id)}: ${reason}`);
  }
  if (outcome.refused.length > 5) lines.push(`members: refused ${outcome.refused.length - 5} more event(s)`);
  return lines;
}

/** One line on where this peer stands, for clone and for a fetch that changed the chain. */
export function describeSelf(self: PeerRecord | undefined): string {
  if (self === undefined || self.state === 'pending') {
    const pending = self === undefined ? '' : ' (a join request is pending)';
    return `you are not a member yet${pending}: run \`env-sync peer request -o <file>\` and send the file to an admin; values stay unreadable until you are approved`;
  }
  if (self.state === 'revoked') return 'this peer has been revoked: it cannot read new values';
  if (self.role === 'reader') {
    return "you are an approved reader of this group: you fetch and read values; 'env-sync identity export-ci' makes a CI credential";
  }
  return `you are an approved ${self.role ?? 'member'} of this group`;
}
