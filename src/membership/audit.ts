// Re-checking a stored chain from scratch for `env-sync log --verify`: every signature and rule, event by
// event from genesis, then that refs/members is the tip the fork rule selects. Reports the first problem.

import { isEnvSyncError } from '../errors.ts';
import { type ObjectId, shortId } from '../store/object-id.ts';
import { type EventBody, parseEventBody } from './event-format.ts';
import type { WireEvent } from './signing.ts';
import { MemberTree } from './tree.ts';

export interface AuditEntry extends WireEvent {
  /** Null when the subject does not parse. */
  readonly body: EventBody | null;
  /** 'ok', 'unchecked' (after the first problem), or the problem. */
  readonly status: string;
}

export interface AuditReport {
  /** The canonical chain as refs/members names it, genesis first. */
  readonly entries: readonly AuditEntry[];
  readonly problem: string | null;
}

function parsed(raw: WireEvent): EventBody | null {
  try {
    return parseEventBody(raw.event, shortId(raw.id));
  } catch {
    return null;
  }
}

export function auditChain(
  group: ObjectId,
  tip: ObjectId,
  events: readonly WireEvent[],
  now: number,
): AuditReport {
  const byId = new Map(events.map((raw) => [raw.id, raw]));
  const path: WireEvent[] = [];
  for (
    let at = byId.get(tip);
    at !== undefined;
    at = at.event.prev === null ? undefined : byId.get(at.event.prev)
  ) {
    path.push(at);
  }
  path.reverse();
  const options = { now, verifySignatures: true };
  let tree: MemberTree | null = null;
  let problem: string | null = null;
  const entries: AuditEntry[] = [];
  for (const raw of path) {
    if (problem !== null) {
      entries.push({ ...raw, body: parsed(raw), status: 'unchecked' });
      continue;
    }
    try {
      if (tree === null) tree = MemberTree.create(raw, { ...options, expectedGroup: group });
      else tree.add(raw, options);
      entries.push({ ...raw, body: tree.get(raw.id)!.body, status: 'ok' });
    } catch (error) {
      if (!isEnvSyncError(error)) throw error;
      problem = error.message;
      entries.push({ ...raw, body: parsed(raw), status: error.message });
    }
  }
  if (problem === null && path[0]?.event.seq !== 0)
    problem = `the chain ending at ${shortId(tip)} does not reach a genesis`;
  if (problem !== null || tree === null) return { entries, problem };
  const onPath = new Set(path.map((raw) => raw.id));
  for (const raw of events) {
    if (onPath.has(raw.id)) continue;
    try {
      tree.add(raw, options);
    } catch (error) {
      if (!isEnvSyncError(error)) throw error;
      return { entries, problem: `off-chain ${error.message}` };
    }
  }
  if (tree.tip().id !== tip) {
    problem = `refs/members points at ${shortId(tip)} but the fork rule selects ${shortId(tree.tip().id)}`;
  }
  return { entries, problem };
}
