// The join request file `peer request` writes and `peer approve FILE` reads: JSON, public data only.
// Parsed strictly into a JoinRequest; the self-signature is checked here and again by the chain rules.

import { peerIdFromPublicKey } from '../crypto/peer-id.ts';
import { EnvSyncError } from '../errors.ts';
import { isObjectId } from '../store/object-id.ts';
import type { EventObject } from '../store/objects.ts';
import { type JoinRequest, NONCE_BYTES, parseEventBody } from './event-format.ts';
import { nameHolder } from './peer-names.ts';
import type { Registry } from './registry.ts';
import { joinRequestBytes, verifyEd25519 } from './signing.ts';
import { subjectKeyProblem } from './subject-keys.ts';

export const JOIN_REQUEST_TYPE = 'env-sync-join-request';
const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export function joinRequestToJson(request: JoinRequest): Record<string, unknown> {
  return {
    type: JOIN_REQUEST_TYPE,
    version: 1,
    group: request.group,
    peerId: peerIdFromPublicKey(request.key),
    name: request.name,
    signingKey: hexOf(request.key),
    ageRecipient: request.ageRecipient,
    certificateFingerprint: request.certificateFingerprint,
    expires: request.expires,
    nonce: hexOf(request.nonce),
    signature: hexOf(request.signature),
  };
}

/** Parses a join request file; `source` names it in errors. The signature must verify. */
export function parseJoinRequest(text: string, source: string): JoinRequest {
  const bad = (detail: string): never => {
    throw new EnvSyncError('E_EVENT_INVALID', `${source}: not a valid join request (${detail})`);
  };
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return bad('not JSON');
  }
  if (json === null || typeof json !== 'object' || json.type !== JOIN_REQUEST_TYPE || json.version !== 1) {
    return bad(`type must be ${JOIN_REQUEST_TYPE} version 1`);
  }
  const bytes = (field: string, length: number): Uint8Array => {
    const value = json[field];
    if (typeof value !== 'string' || !/^[0-9a-f]*$/.test(value) || value.length !== length * 2) {
      return bad(`${field} must be ${length} bytes of lowercase hex`);
    }
    return Uint8Array.from(Buffer.from(value, 'hex'));
  };
  const text_ = (field: string): string =>
    typeof json[field] === 'string' ? (json[field] as string) : bad(`${field} must be a string`);
  const group = text_('group');
  if (!isObjectId(group)) bad('group must be a 64-hex id');
  const expires = json.expires;
  if (typeof expires !== 'number' || !Number.isSafeInteger(expires) || expires < 0)
    bad('expires must be an integer');
  const request: JoinRequest = {
    group: group as JoinRequest['group'],
    key: bytes('signingKey', 32),
    name: text_('name'),
    ageRecipient: text_('ageRecipient'),
    certificateFingerprint: text_('certificateFingerprint'),
    expires: expires as number,
    nonce: bytes('nonce', NONCE_BYTES),
    signature: bytes('signature', 64),
  };
  // The same field checks an event's subject gets, by parsing the request as a request event would carry it.
  const probe: EventObject = {
    type: 'event',
    group: request.group,
    seq: 1,
    prev: request.group,
    time: 0,
    actor: request.key,
    kind: 'request',
    subject: [
      request.key,
      request.name,
      request.ageRecipient,
      request.certificateFingerprint,
      request.expires,
      request.nonce,
      request.signature,
    ],
    signature: new Uint8Array(64),
  };
  const keyProblem = subjectKeyProblem(probe, parseEventBody(probe, source), 'decode');
  if (keyProblem !== null) bad(keyProblem);
  if (json.peerId !== undefined && json.peerId !== peerIdFromPublicKey(request.key))
    bad('peerId does not match the key');
  if (!verifyEd25519(request.key, joinRequestBytes(request), request.signature)) {
    bad('its signature does not verify');
  }
  return request;
}

/**
 * Refuses a join request every peer would refuse to approve, while the fix is one command: this peer is
 * approved already, was revoked (a revoked key is never approved again), or its name is held by another peer.
 * `registry`: the group's at its tip, or null before the chain is held.
 */
export function assertMayRequest(
  registry: Registry | null,
  peer: { readonly peerId: string; readonly key: Uint8Array; readonly name: string },
  now: number,
): void {
  const record = registry?.byKey(peer.key);
  if (record?.state === 'approved') {
    throw new EnvSyncError('E_USAGE', `this peer (${peer.peerId}) is already an approved member`);
  }
  if (record?.state === 'revoked') {
    throw new EnvSyncError(
      'E_PEER_REVOKED',
      `this peer (${peer.peerId}) was revoked; a revoked key is never approved again (create a new identity)`,
    );
  }
  const holder = registry === null ? undefined : nameHolder(registry, peer.name, hexOf(peer.key), now);
  if (holder !== undefined) {
    throw new EnvSyncError(
      'E_NAME_TAKEN',
      `the name ${JSON.stringify(peer.name)} is already held by ${holder.peerId} in this group; choose another with: env-sync identity rename <name>`,
    );
  }
}
