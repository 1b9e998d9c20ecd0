// Bounds on everything a peer sends during sync, with their defaults and config keys (docs/protocol.md#limits).
// The receiving side applies its own limits; a peer that exceeds one is cut off with E_PROTOCOL.

import { EnvSyncError } from '../errors.ts';
import type { Config } from '../store/config.ts';
import { MAX_OBJECT_BYTES } from '../store/limits.ts';

export interface SyncLimits {
  /** Largest frame (length prefix excluded), control or object. */
  readonly maxFrameBytes: number;
  /** Largest object inside an object frame. */
  readonly maxObjectBytes: number;
  /** Most objects in one pack. */
  readonly maxObjects: number;
  /** Most bytes in one exchange, counted after decompression. */
  readonly maxTotalBytes: number;
  /** Longest silence from the peer before the connection is dropped, in milliseconds. */
  readonly idleMs: number;
  /** Least a peer must send in every `lowSpeedMs` window (git's http.lowSpeedLimit, per window). */
  readonly lowSpeedBytes: number;
  readonly lowSpeedMs: number;
  /** Longest one exchange may take from its first read, in milliseconds. */
  readonly timeoutMs: number;
  /** Most refs, wants, haves or update commands in one control frame. */
  readonly maxRefs: number;
}

export const DEFAULT_SYNC_LIMITS: SyncLimits = {
  maxFrameBytes: MAX_OBJECT_BYTES + 64 * 1024,
  maxObjectBytes: MAX_OBJECT_BYTES,
  maxObjects: 1_000_000,
  maxTotalBytes: 2 * 1024 * 1024 * 1024,
  idleMs: 30_000,
  lowSpeedBytes: 1024,
  lowSpeedMs: 30_000,
  timeoutMs: 3_600_000,
  maxRefs: 10_000,
};

/** Config key → limit field; values are integers (the times in seconds). */
export const LIMIT_CONFIG_KEYS = {
  'sync.maxFrameBytes': 'maxFrameBytes',
  'sync.maxObjectBytes': 'maxObjectBytes',
  'sync.maxObjects': 'maxObjects',
  'sync.maxTotalBytes': 'maxTotalBytes',
  'sync.idleTimeout': 'idleMs',
  'sync.lowSpeedBytes': 'lowSpeedBytes',
  'sync.lowSpeedTime': 'lowSpeedMs',
  'sync.timeout': 'timeoutMs',
  'sync.maxRefs': 'maxRefs',
} as const satisfies Record<string, keyof SyncLimits>;

const SECONDS: ReadonlySet<keyof SyncLimits> = new Set(['idleMs', 'lowSpeedMs', 'timeoutMs']);

export function syncLimitsFromConfig(config: Config): SyncLimits {
  const limits: Record<keyof SyncLimits, number> = { ...DEFAULT_SYNC_LIMITS };
  for (const [key, field] of Object.entries(LIMIT_CONFIG_KEYS)) {
    const text = config.get(key);
    if (text === undefined) continue;
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value <= 0) {
      throw new EnvSyncError('E_CONFIG', `${key} must be a positive integer`);
    }
    limits[field] = SECONDS.has(field) ? value * 1000 : value;
  }
  // An object frame must be able to hold the largest object the store accepts.
  limits.maxObjectBytes = Math.min(limits.maxObjectBytes, MAX_OBJECT_BYTES);
  return limits;
}

/** Which side receives a pack: `fetch` (fetch, clone, bundle) or `receive` (a push, served). */
export type UnpackService = 'fetch' | 'receive';

/** git's default: fewer objects than this are stored loose, more as one pack. */
export const DEFAULT_UNPACK_LIMIT = 100;

/** `fetch.unpackLimit` or `receive.unpackLimit`, else `transfer.unpackLimit`, else 100 (as in git). */
export function unpackLimitFromConfig(config: Config, service: UnpackService): number {
  for (const key of [`${service}.unpackLimit`, 'transfer.unpackLimit']) {
    const text = config.get(key);
    if (text === undefined) continue;
    if (!/^\d{1,9}$/.test(text)) throw new EnvSyncError('E_CONFIG', `${key} must be a non-negative integer`);
    return Number(text);
  }
  return DEFAULT_UNPACK_LIMIT;
}
