// The protocol's control frames as types, and the one place untrusted frames become those types
// (docs/protocol.md#frames). Object frames are parsed by pack-reader.ts.

import { EnvSyncError } from '../errors.ts';
import { isGroupNonce } from '../store/group-binding.ts';
import { idToBytes, isObjectId, type ObjectId } from '../store/object-id.ts';
import { isValidRefName } from '../store/ref-names.ts';
import { isSecurityMode, type SecurityMode } from '../store/repository.ts';
import type { Frame, FrameReader } from './frames.ts';
import type { SyncLimits } from './limits.ts';

export const PROTOCOL_VERSION = 1;
export type Service = 'upload-pack' | 'receive-pack';

export interface RefAdvert {
  readonly name: string;
  readonly id: ObjectId;
}

export interface Advertisement {
  readonly service: Service | 'bundle';
  readonly protocol: number;
  readonly group: ObjectId;
  /** What the group id commits to with the mode (docs/protocol.md#advertisement); null in secure-peer. */
  readonly groupNonce: string | null;
  readonly mode: SecurityMode;
  /** The ref HEAD points to on the server, if it names an advertised branch. */
  readonly head: string | null;
  /** Branches, `refs/heads/<env>`, sorted by name. */
  readonly refs: readonly RefAdvert[];
  /** Tip of the membership event chain (`refs/members`), if any. */
  readonly members: ObjectId | null;
  /** Tips of membership branches that lost a fork (kept so that every peer converges on the same tree). */
  readonly memberForks: readonly ObjectId[];
  readonly agent: string;
}

/**
 * A `fetch` frame: every tip the server advertises is wanted, asked for before the advertisement is read.
 * `group` and `mode` are null for a clone, which joins whatever group the server is in.
 */
export interface FetchRequest {
  readonly group: ObjectId | null;
  readonly mode: SecurityMode | null;
  readonly haves: readonly ObjectId[];
}

export interface RefCommand {
  readonly ref: string;
  /** What the pusher believes the ref holds (null: must not exist). */
  readonly old: ObjectId | null;
  readonly new: ObjectId;
  /** Skip the fast-forward check (still compare-and-swap on `old`): `push --force-with-lease`. */
  readonly force: boolean;
}

export interface ReceiveRequest {
  readonly group: ObjectId;
  readonly mode: SecurityMode;
  readonly peer: string;
  readonly commands: readonly RefCommand[];
}

export interface RefResult {
  readonly ref: string;
  readonly ok: boolean;
  readonly reason: string | null;
}

export function advertisementFrame(ad: Advertisement): Frame {
  return {
    type: 'advertise',
    protocol: ad.protocol,
    service: ad.service,
    group: ad.group,
    groupNonce: ad.groupNonce,
    mode: ad.mode,
    head: ad.head,
    refs: ad.refs.map((ref) => [ref.name, ref.id]),
    members: ad.members,
    memberForks: [...ad.memberForks],
    agent: ad.agent,
  };
}

export async function readAdvertisement(reader: FrameReader, limits: SyncLimits): Promise<Advertisement> {
  const frame = await reader.expect('advertise');
  const bad = (detail: string): never => {
    throw reader.error(`sent a malformed advertisement (${detail})`);
  };
  if (frame.protocol !== PROTOCOL_VERSION) {
    throw new EnvSyncError(
      'E_PROTOCOL',
      `${reader.peer} speaks sync protocol ${String(frame.protocol).slice(0, 10)}; this env-sync speaks ${PROTOCOL_VERSION}`,
    );
  }
  const service = frame.service;
  if (service !== 'upload-pack' && service !== 'receive-pack' && service !== 'bundle') bad('service');
  const refs = list(frame.refs, limits.maxRefs, bad, 'refs').map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2) return bad('ref entry');
    const [name, id] = pair as unknown[];
    if (typeof name !== 'string' || !isValidRefName(name) || !name.startsWith('refs/heads/'))
      return bad('ref name');
    return { name, id: objectId(id, bad, 'ref id') };
  });
  const head = frame.head === null ? null : typeof frame.head === 'string' ? frame.head : bad('head');
  return {
    service: service as Advertisement['service'],
    protocol: PROTOCOL_VERSION,
    group: objectId(frame.group, bad, 'group'),
    groupNonce: frame.groupNonce === null ? null : groupNonce(frame.groupNonce, bad),
    mode: typeof frame.mode === 'string' && isSecurityMode(frame.mode) ? frame.mode : bad('mode'),
    head: head !== null && refs.some((ref) => ref.name === head) ? head : null,
    refs,
    members: frame.members === null ? null : objectId(frame.members, bad, 'members'),
    memberForks: list(frame.memberForks, limits.maxRefs, bad, 'memberForks').map((id) =>
      objectId(id, bad, 'memberForks id'),
    ),
    agent: typeof frame.agent === 'string' ? frame.agent.slice(0, 64) : '',
  };
}

function groupNonce(value: unknown, bad: (detail: string) => never): string {
  return typeof value === 'string' && isGroupNonce(value) ? value : bad('groupNonce');
}

export function fetchRequestFrame(request: FetchRequest): Frame {
  return {
    type: 'fetch',
    protocol: PROTOCOL_VERSION,
    group: request.group,
    mode: request.mode,
    // Binary (32-byte) ids: a request may carry hundreds of haves.
    haves: request.haves.map(idToBytes),
  };
}

export async function readFetchRequest(reader: FrameReader, limits: SyncLimits): Promise<FetchRequest> {
  const frame = await reader.expect('fetch');
  const bad = (detail: string): never => {
    throw reader.error(`sent a malformed fetch request (${detail})`);
  };
  if (frame.protocol !== PROTOCOL_VERSION) bad('protocol version');
  const clone = frame.group === null && frame.mode === null;
  return {
    ...(clone ? { group: null, mode: null } : groupAndMode(frame, bad)),
    haves: list(frame.haves, limits.maxRefs, bad, 'haves').map((id) => binaryId(id, bad, 'have')),
  };
}

export function receiveRequestFrame(request: ReceiveRequest): Frame {
  return {
    type: 'update',
    protocol: PROTOCOL_VERSION,
    ...request,
    commands: request.commands.map((c) => ({ ...c })),
  };
}

export async function readReceiveRequest(reader: FrameReader, limits: SyncLimits): Promise<ReceiveRequest> {
  const frame = await reader.expect('update');
  const bad = (detail: string): never => {
    throw reader.error(`sent a malformed update request (${detail})`);
  };
  if (frame.protocol !== PROTOCOL_VERSION) bad('protocol version');
  const commands = list(frame.commands, limits.maxRefs, bad, 'commands').map((value) => {
    if (value === null || typeof value !== 'object') return bad('command');
    const c = value as Record<string, unknown>;
    if (typeof c.ref !== 'string' || !isValidRefName(c.ref) || !c.ref.startsWith('refs/heads/'))
      return bad('ref');
    return {
      ref: c.ref,
      old: c.old === null ? null : objectId(c.old, bad, 'old'),
      new: objectId(c.new, bad, 'new'),
      force: c.force === true,
    };
  });
  return {
    ...groupAndMode(frame, bad),
    peer: typeof frame.peer === 'string' ? frame.peer.replace(/[^\x21-\x7e]/g, '_').slice(0, 128) : 'unknown',
    commands,
  };
}

export function resultFrame(results: readonly RefResult[]): Frame {
  return { type: 'result', refs: results.map((r) => ({ ...r })) };
}

export async function readResult(reader: FrameReader): Promise<RefResult[]> {
  const frame = await reader.expect('result');
  const bad = (detail: string): never => {
    throw reader.error(`sent a malformed result (${detail})`);
  };
  return list(frame.refs, 10_000, bad, 'refs').map((value) => {
    const r = (value ?? {}) as Record<string, unknown>;
    if (typeof r.ref !== 'string' || typeof r.ok !== 'boolean') return bad('entry');
    return { ref: r.ref, ok: r.ok, reason: typeof r.reason === 'string' ? r.reason.slice(0, 200) : null };
  });
}

export function errorFrame(message: string): Frame {
  return { type: 'error', message };
}

function groupAndMode(frame: Frame, bad: (detail: string) => never): { group: ObjectId; mode: SecurityMode } {
  return {
    group: objectId(frame.group, bad, 'group'),
    mode: typeof frame.mode === 'string' && isSecurityMode(frame.mode) ? frame.mode : bad('mode'),
  };
}

function list(value: unknown, max: number, bad: (detail: string) => never, what: string): unknown[] {
  if (!Array.isArray(value)) return bad(`${what} must be a list`);
  if (value.length > max) return bad(`more than ${max} ${what}`);
  return value;
}

function binaryId(value: unknown, bad: (detail: string) => never, what: string): ObjectId {
  return value instanceof Uint8Array && value.length === 32
    ? (Buffer.from(value).toString('hex') as ObjectId)
    : bad(`${what} is not a 32-byte object id`);
}

function objectId(value: unknown, bad: (detail: string) => never, what: string): ObjectId {
  return typeof value === 'string' && isObjectId(value) ? value : bad(`${what} is not an object id`);
}
