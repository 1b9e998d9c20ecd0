// The validation rules every membership event must pass against the registry at its parent
// (docs/membership.md#rules). A failure throws a typed EnvSyncError naming the event; nothing is mutated.

import { peerIdFromPublicKey } from '../crypto/peer-id.ts';
import { EnvSyncError, type ErrorCode } from '../errors.ts';
import { type ObjectId, shortId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import {
  type EventBody,
  type HeldEvent,
  type JoinRequest,
  MAX_REQUEST_TTL_SECONDS,
  parseEventBody,
  SKEW_SECONDS,
} from './event-format.ts';
import { nameHolder } from './peer-names.ts';
import { type EventKeys, eventKeys, type Registry } from './registry.ts';
import {
  eventSigningBytes,
  joinRequestBytes,
  rotationSigningBytes,
  verifyEd25519,
  type WireEvent,
} from './signing.ts';
import { subjectKeyProblem } from './subject-keys.ts';

export interface CheckContext {
  /** The group (genesis id) the chain belongs to; null while checking a genesis of unknown group. */
  readonly group: ObjectId | null;
  /** Seconds since the epoch, fixed once per operation. */
  readonly now: number;
  /** False for events this peer already verified and stored (a local reload); rules still apply. */
  readonly verifySignatures: boolean;
}

export function describeEvent(id: ObjectId, event: EventObject): string {
  return `event #${event.seq} ${shortId(id)} (${event.kind.slice(0, 32)})`;
}

/** An event that passed the rules: its body, and its keys for Registry.apply. */
export interface CheckedEvent {
  readonly body: EventBody;
  readonly keys: EventKeys;
}

/** Checks `wire` (signatures included) as a child of `parent`, given the registry after the parent. */
export function checkEvent(
  wire: WireEvent,
  parent: HeldEvent | null,
  state: Registry | null,
  ctx: CheckContext,
): CheckedEvent {
  const { id, event } = wire;
  const fail = failure(id, event);
  if (event.time > ctx.now + SKEW_SECONDS) {
    fail('E_EVENT_INVALID', `dated ${event.time - ctx.now} s in the future (allowed skew ${SKEW_SECONDS} s)`);
  }
  const body = parseEventBody(event, describeEvent(id, event));
  const signed = (key: Uint8Array, message: () => Uint8Array, signature: Uint8Array): boolean =>
    !ctx.verifySignatures || verifyEd25519(key, message(), signature);
  if (!signed(event.actor, () => eventSigningBytes(event), event.signature)) {
    fail('E_EVENT_INVALID', 'signature does not verify (forged or altered)');
  }
  // Checked with the signatures, when the event arrives: stored events passed this already.
  const keyProblem = ctx.verifySignatures ? subjectKeyProblem(event, body, 'signature') : null;
  if (keyProblem !== null) fail('E_EVENT_INVALID', keyProblem);
  if (body.kind === 'request' || body.kind === 'approve') {
    if (!signed(body.request.key, () => joinRequestBytes(body.request), body.request.signature)) {
      fail('E_EVENT_INVALID', 'the join request signature does not verify');
    }
  }
  if (body.kind === 'rotate-key') {
    if (!signed(body.next.key, () => rotationSigningBytes(event), body.keySignature)) {
      fail('E_EVENT_INVALID', 'the new key did not sign the rotation');
    }
  }
  const keys = eventKeys(event, body);
  if (event.seq === 0) {
    if (body.kind !== 'genesis') fail('E_EVENT_INVALID', 'seq 0 must be a genesis event');
    if (ctx.group !== null && id !== ctx.group) {
      fail('E_EVENT_REPLAY', `genesis of another group (this group is ${shortId(ctx.group)})`);
    }
    return { body, keys };
  }
  if (parent === null || state === null || event.prev !== parent.id) {
    return fail('E_EVENT_INVALID', 'its parent event is not held');
  }
  checkAuthorized({ id, event, body }, keys, parent, state, ctx.group);
  return { body, keys };
}

function failure(id: ObjectId, event: EventObject) {
  return (code: ErrorCode, detail: string): never => {
    throw new EnvSyncError(code, `${describeEvent(id, event)}: ${detail}; nothing was applied`);
  };
}

/**
 * Every rule but the signatures: `held` as a child of `parent` given the registry `state` after the parent.
 * The fork rule's walk calls it again with the registry it derived (which may differ from the branch's own).
 */
export function checkAuthorized(
  held: HeldEvent,
  keys: EventKeys,
  parent: HeldEvent,
  state: Registry,
  group: ObjectId | null,
): void {
  const { id, event, body } = held;
  const fail = failure(id, event);
  if (group === null || event.group !== group) {
    fail('E_EVENT_REPLAY', `belongs to another group (${shortId(event.group!)}), not this one`);
  }
  if (event.seq !== parent.event.seq + 1) {
    fail('E_EVENT_INVALID', `seq ${event.seq} does not follow its parent's seq ${parent.event.seq}`);
  }
  if (event.time + SKEW_SECONDS < parent.event.time) {
    fail('E_EVENT_INVALID', `dated more than ${SKEW_SECONDS} s before its parent`);
  }
  if (body.kind === 'genesis') fail('E_EVENT_INVALID', 'a genesis event must have seq 0');

  const actor = state.byHexKey(keys.actor);
  const signer = (): string => peerIdFromPublicKey(event.actor);
  if (actor === undefined) fail('E_EVENT_UNAUTHORIZED', `signed by ${signer()}, who is not a member`);
  if (actor!.state === 'revoked') fail('E_PEER_REVOKED', `signed by ${signer()}, who was revoked`);
  if (actor!.state !== 'approved') fail('E_EVENT_UNAUTHORIZED', `signed by ${signer()}, who is not approved`);
  if (actor!.role === 'reader') {
    fail('E_EVENT_UNAUTHORIZED', `signed by ${signer()}, a reader: a reader signs no membership event`);
  }
  const needsAdmin = body.kind === 'approve' || body.kind === 'revoke';
  if (needsAdmin && actor!.role !== 'admin') {
    fail('E_EVENT_UNAUTHORIZED', `${signer()} is not an admin at this point of the chain`);
  }

  const checkNameFree = (name: string, key: string): void => {
    const holder = nameHolder(state, name, key, event.time);
    if (holder !== undefined) {
      fail(
        'E_NAME_TAKEN',
        `the name ${JSON.stringify(name)} is already held by ${holder.peerId}; names are unique in a group`,
      );
    }
  };
  const checkRequest = (r: JoinRequest, recording: boolean): void => {
    if (r.expires < event.time) fail('E_EVENT_INVALID', 'the join request had expired');
    if (r.expires > event.time + MAX_REQUEST_TTL_SECONDS) {
      fail('E_EVENT_INVALID', 'the join request expires too far in the future');
    }
    const target = state.byHexKey(keys.subject!);
    if (target?.state === 'approved') fail('E_EVENT_INVALID', `${target.peerId} is already approved`);
    if (target?.state === 'revoked') {
      fail('E_PEER_REVOKED', `${target.peerId} was revoked; a revoked key is never approved again`);
    }
    checkNameFree(r.name, keys.subject!);
    const nonce = state.nonceUse(keys.nonce!, keys.subject!);
    if (nonce === 'used' || (nonce === 'pending' && recording)) {
      fail('E_EVENT_REPLAY', 'the join request nonce was already used');
    }
  };

  switch (body.kind) {
    case 'request':
      checkRequest(body.request, true);
      break;
    case 'approve':
      checkRequest(body.request, false);
      break;
    case 'revoke': {
      const target = state.byHexKey(keys.subject!);
      if (target === undefined)
        fail('E_PEER_UNKNOWN', `${peerIdFromPublicKey(body.key)} is not a known peer`);
      if (target!.state === 'revoked') fail('E_EVENT_INVALID', `${target!.peerId} is already revoked`);
      if (target!.state === 'approved' && target!.role === 'admin' && state.approvedAdmins() === 1) {
        fail('E_EVENT_INVALID', `revoking ${target!.peerId} would leave the group without an admin`);
      }
      break;
    }
    case 'rotate-key':
      if (state.byHexKey(keys.subject!) !== undefined)
        fail('E_EVENT_INVALID', 'the new key is already known');
      break;
    case 'rename':
      if (actor!.name === body.name)
        fail('E_EVENT_INVALID', `the peer is already named ${JSON.stringify(body.name)}`);
      checkNameFree(body.name, keys.actor);
      break;
    case 'ignorable':
      break;
  }
}
