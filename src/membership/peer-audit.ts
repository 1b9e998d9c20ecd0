// `peer audit`: for each peer of the registry, who let it in and when, the last event it signed, the last
// commit it authored, and the newest membership event it is known to have seen (the events its commits name,
// and the events it signed). A peer whose newest known event is older than the last revocation may not have
// heard of it yet: it would still seal values to the revoked peer, and should sync.

import { walkLocalHistory } from '../store/local-history.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import type { HeldEvent } from './event-format.ts';
import { hex, type PeerRecord } from './registry.ts';
import type { MemberTree } from './tree.ts';

export interface PeerAudit {
  readonly peer: PeerRecord;
  /** The approve (or genesis, or rotate-key) event that made the peer a member; null for a pending peer. */
  readonly admittedBy: { readonly event: HeldEvent } | null;
  readonly lastEvent: HeldEvent | null;
  readonly lastCommit: { readonly id: ObjectId; readonly time: number } | null;
  /** The newest canonical event this peer's commits name or that it signed. */
  readonly lastSeen: HeldEvent | null;
  /** The last revocation on the chain is newer than anything this peer is known to have seen. */
  readonly behindRevocation: boolean;
}

export interface AuditReport {
  readonly peers: readonly PeerAudit[];
  /** The newest revoke event of the canonical chain. */
  readonly lastRevocation: HeldEvent | null;
}

/** Reads every commit reachable from a branch or remote-tracking ref once: 10,000 commits take a moment. */
export async function auditPeers(repo: Repository, tree: MemberTree): Promise<AuditReport> {
  const canonical = tree.canonical();
  const seq = new Map(canonical.map((held) => [held.id, held.event.seq]));
  const newer = (a: HeldEvent | null, b: HeldEvent | undefined): HeldEvent | null =>
    b === undefined || (a !== null && a.event.seq >= b.event.seq) ? a : b;

  const lastEvent = new Map<string, HeldEvent>();
  const lastSeen = new Map<string, HeldEvent | null>();
  const admitted = new Map<string, HeldEvent>();
  let lastRevocation: HeldEvent | null = null;
  for (const held of canonical) {
    const signer = hex(held.event.actor);
    lastEvent.set(signer, held);
    lastSeen.set(signer, newer(lastSeen.get(signer) ?? null, held));
    const body = held.body;
    if (body.kind === 'genesis') admitted.set(signer, held);
    if (body.kind === 'approve') admitted.set(hex(body.request.key), held);
    if (body.kind === 'rotate-key') admitted.set(hex(body.next.key), held);
    if (body.kind === 'revoke') lastRevocation = held;
  }

  const lastCommit = new Map<string, { id: ObjectId; time: number }>();
  const seenByPeerId = new Map<string, HeldEvent | null>();
  await walkLocalHistory(repo, (id, commit) => {
    const previous = lastCommit.get(commit.author);
    if (previous === undefined || commit.time > previous.time)
      lastCommit.set(commit.author, { id, time: commit.time });
    if (commit.members !== null && seq.has(commit.members)) {
      seenByPeerId.set(
        commit.author,
        newer(seenByPeerId.get(commit.author) ?? null, tree.get(commit.members)),
      );
    }
  });

  const peers = tree
    .registry()
    .peers()
    .map((peer): PeerAudit => {
      const key = hex(peer.key);
      const seen = newer(lastSeen.get(key) ?? null, seenByPeerId.get(peer.peerId) ?? undefined);
      const admission = admitted.get(key);
      return {
        peer,
        admittedBy: admission === undefined ? null : { event: admission },
        lastEvent: lastEvent.get(key) ?? null,
        lastCommit: lastCommit.get(peer.peerId) ?? null,
        lastSeen: seen,
        // A peer admitted after the revocation gets it with its first sync, before it can seal anything.
        behindRevocation:
          peer.state === 'approved' &&
          lastRevocation !== null &&
          (admission === undefined || admission.event.seq < lastRevocation.event.seq) &&
          (seen === null || seen.event.seq < lastRevocation.event.seq),
      };
    });
  return { peers, lastRevocation };
}
