// What `peer approve` appends (docs/membership.md#event-kinds): an admin approves a join request, given as a
// request file or as the peer id of a request already recorded; a member can only record a request file as
// pending for an admin to approve. A pure decision over the chain at its tip.

import { EnvSyncError } from '../errors.ts';
import type { ChildBody } from './author.ts';
import type { JoinRequest, Role } from './event-format.ts';
import { displayState } from './registry.ts';
import type { MemberTree } from './tree.ts';

export type ApprovalTarget =
  | { readonly file: string; readonly request: JoinRequest }
  | { readonly peerId: string };

/** The event body `signer` (its public key) appends to approve `target` with `role`, or a refusal. */
export function approvalBody(
  tree: MemberTree,
  signer: Uint8Array,
  target: ApprovalTarget,
  role: Role,
  now: number,
): ChildBody {
  const isAdmin = tree.registry().byKey(signer)?.role === 'admin';
  if ('request' in target) {
    if (target.request.group !== tree.group) {
      throw new EnvSyncError('E_EVENT_REPLAY', `${target.file} is a join request for another group`);
    }
    if (isAdmin) return { kind: 'approve', request: target.request, role };
    if (role === 'admin')
      throw new EnvSyncError('E_EVENT_UNAUTHORIZED', 'only an admin can approve an admin');
    return { kind: 'request', request: target.request };
  }
  const record = tree.registry().byPeerId(target.peerId);
  if (record === undefined) {
    throw new EnvSyncError(
      'E_PEER_UNKNOWN',
      `${target.peerId} has no pending request; approve its request file instead`,
    );
  }
  const state = displayState(record, now);
  if (state !== 'pending') {
    const code = state === 'revoked' ? 'E_PEER_REVOKED' : 'E_USAGE';
    const hint = state === 'expired' ? '; ask the peer for a new request' : '';
    throw new EnvSyncError(code, `${record.peerId} is ${state}, not pending${hint}`);
  }
  if (!isAdmin) throw new EnvSyncError('E_EVENT_UNAUTHORIZED', 'only an admin can approve a peer');
  const recorded = tree.get(record.since.event)?.body;
  if (recorded?.kind !== 'request') {
    throw new EnvSyncError('E_PEER_UNKNOWN', `${record.peerId} has no recorded join request`);
  }
  return { kind: 'approve', request: recorded.request, role };
}
