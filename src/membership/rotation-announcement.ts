// Telling a server about this peer's key rotation over mutual TLS (docs/protocol.md#announcing-a-key-rotation):
// until it holds the rotate-key event, a server refuses the new certificate, and the old one is retired. The
// rotated peer POSTs the event and its nearest ancestors to the join endpoint, presenting its new certificate;
// the server applies them like fetched events and accepts them only if they make that certificate a member's.

import { peerIdFromPublicKey } from '../crypto/peer-id.ts';
import { EnvSyncError } from '../errors.ts';
import type { ObjectId } from '../store/object-id.ts';
import type { Repository } from '../store/repository.ts';
import { readEventsFrom } from './chain-store.ts';
import { parseEventBody } from './event-format.ts';
import { applyRemoteEvents } from './exchange.ts';
import { type WireEvent, wireEventFromBytes } from './signing.ts';

const TYPE = 'env-sync-key-rotation';
/** Ancestors sent with the rotation: a server that lacks more must fetch from this peer (or it from the server). */
export const ANNOUNCED_ANCESTORS = 32;

/** The body announcing rotate-key event `rotation`: it and up to ANNOUNCED_ANCESTORS events before it. */
export async function rotationAnnouncement(repo: Repository, rotation: ObjectId): Promise<string> {
  const events = await readEventsFrom(repo, [rotation]);
  const sent = events.slice(-(ANNOUNCED_ANCESTORS + 1));
  const encoded = sent.map((wire) => Buffer.from(wire.bytes).toString('base64'));
  return JSON.stringify({ type: TYPE, version: 1, events: encoded });
}

/** Whether a body POSTed to the join endpoint is a rotation announcement rather than a join. */
export function isRotationAnnouncement(body: string): boolean {
  try {
    return (JSON.parse(body) as { type?: unknown })?.type === TYPE;
  } catch {
    return false;
  }
}

/**
 * Applies an announcement sent by the certificate with `fingerprint`: it must hold a rotation to that
 * certificate; every event is verified and applied as a fetch would (all or nothing, valid events are kept as
 * a fetch keeps them), and the rotation must then make the certificate an approved member's. Returns the
 * rotated peer's new id.
 */
export async function acceptRotationAnnouncement(
  repo: Repository,
  body: string,
  fingerprint: string,
  options: { readonly now: number; readonly peer: string },
): Promise<{ readonly peerId: string }> {
  const events = parseAnnouncement(body);
  const rotation = events
    .map((wire) => ({ wire, body: parseEventBody(wire.event, `event ${wire.id.slice(0, 12)}`) }))
    .find(({ body }) => body.kind === 'rotate-key' && body.next.certificateFingerprint === fingerprint);
  if (rotation === undefined || rotation.body.kind !== 'rotate-key') {
    throw new EnvSyncError(
      'E_EVENT_INVALID',
      'the announcement holds no key rotation to the certificate this connection presented',
    );
  }
  const result = await applyRemoteEvents(repo, events, options.now, {
    peer: options.peer,
    source: 'a key rotation announcement',
  });
  const record = result.tree.registry().byKey(rotation.body.next.key);
  if (record?.state !== 'approved') {
    throw new EnvSyncError(
      'E_EVENT_UNAUTHORIZED',
      'the announced key rotation is not on this group’s chain (its signer is not an approved member here)',
    );
  }
  return { peerId: peerIdFromPublicKey(rotation.body.next.key) };
}

function parseAnnouncement(body: string): WireEvent[] {
  let json: { version?: unknown; events?: unknown };
  try {
    json = JSON.parse(body) as typeof json;
  } catch {
    throw new EnvSyncError('E_PROTOCOL', 'the key rotation announcement is not JSON');
  }
  const events = json.events;
  if (
    json.version !== 1 ||
    !Array.isArray(events) ||
    events.length === 0 ||
    events.length > ANNOUNCED_ANCESTORS + 1
  ) {
    throw new EnvSyncError(
      'E_PROTOCOL',
      `a key rotation announcement is version 1 with 1 to ${ANNOUNCED_ANCESTORS + 1} events`,
    );
  }
  return events.map((encoded, index) => {
    if (typeof encoded !== 'string') {
      throw new EnvSyncError('E_PROTOCOL', `announced event ${index} is not base64 text`);
    }
    return wireEventFromBytes(Buffer.from(encoded, 'base64'), `announced event ${index}`);
  });
}
