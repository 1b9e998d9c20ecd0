// How membership appears to people and scripts: registry records and events as table rows and JSON.
// Only public data: ids, names, keys, fingerprints, times. Never a secret.

import { peerIdFromPublicKey } from '../../crypto/peer-id.ts';
import type { HeldEvent } from '../../membership/event-format.ts';
import { displayState, type PeerRecord } from '../../membership/registry.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const isoTime = (seconds: number): string =>
  new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

export function peerJson(record: PeerRecord, now: number) {
  return {
    peerId: record.peerId,
    name: record.name,
    state: displayState(record, now),
    role: record.role,
    since: { event: record.since.event, time: isoTime(record.since.time), by: record.by },
    expires: record.expires === null ? null : isoTime(record.expires),
    reason: record.reason,
    certificateFingerprint: record.certificateFingerprint,
    ageRecipient: record.ageRecipient,
    signingKey: hex(record.key),
  };
}

/** The event's subject, named field by field. */
export function subjectJson(held: HeldEvent): Record<string, unknown> {
  const body = held.body;
  switch (body.kind) {
    case 'genesis':
      return { peerId: peerIdFromPublicKey(held.event.actor), name: body.name, role: 'admin' };
    case 'request':
    case 'approve': {
      const r = body.request;
      return {
        peerId: peerIdFromPublicKey(r.key),
        name: r.name,
        ...(body.kind === 'approve' ? { role: body.role } : {}),
        signingKey: hex(r.key),
        ageRecipient: r.ageRecipient,
        certificateFingerprint: r.certificateFingerprint,
        expires: isoTime(r.expires),
        nonce: hex(r.nonce),
      };
    }
    case 'revoke':
      return { peerId: peerIdFromPublicKey(body.key), reason: body.reason };
    case 'rotate-key':
      return {
        peerId: peerIdFromPublicKey(body.next.key),
        signingKey: hex(body.next.key),
        ageRecipient: body.next.ageRecipient,
        certificateFingerprint: body.next.certificateFingerprint,
      };
    case 'rename':
      return { name: body.name };
    case 'ignorable':
      return {};
  }
}

/** Peer ids an event concerns: its signer and its subject. */
export function eventPeers(held: HeldEvent): string[] {
  const subject = subjectJson(held).peerId;
  return [peerIdFromPublicKey(held.event.actor), ...(typeof subject === 'string' ? [subject] : [])];
}

export function eventSummary(held: HeldEvent): string {
  const s = subjectJson(held);
  switch (held.body.kind) {
    case 'genesis':
      return `founded the group as ${s.name}`;
    case 'request':
      return `recorded join request of ${s.peerId} (${s.name}), expires ${s.expires}`;
    case 'approve':
      return `approved ${s.peerId} (${s.name}) as ${s.role}`;
    case 'revoke':
      return `revoked ${s.peerId}${s.reason === '' ? '' : `: ${JSON.stringify(s.reason)}`}`;
    case 'rotate-key':
      return `rotated its key to ${s.peerId}`;
    case 'rename':
      return `renamed itself ${JSON.stringify(s.name)}`;
    case 'ignorable':
      return `${held.event.kind} (ignored by this version)`;
  }
}

export function eventJson(held: HeldEvent, status: string) {
  return {
    id: held.id,
    seq: held.event.seq,
    time: isoTime(held.event.time),
    actor: peerIdFromPublicKey(held.event.actor),
    kind: held.event.kind,
    subject: subjectJson(held),
    status,
  };
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
