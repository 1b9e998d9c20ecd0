// Secrets follow membership (docs/membership.md#signed-commits): in secure-peer a commit is accepted only if it
// carries its author's signature, the author was approved at the membership event the commit names, and, if
// the author has since been revoked, the commit lies in the history that revocation accepted.

import { verifySignature } from '../crypto/ed25519.ts';
import { commitSigningBytes } from '../store/commit-signing.ts';
import { walkLocalHistory } from '../store/local-history.ts';
import { type ObjectId, shortId } from '../store/object-id.ts';
import type { CommitObject } from '../store/objects.ts';
import type { Repository } from '../store/repository.ts';
import type { HeldEvent } from './event-format.ts';
import type { Registry } from './registry.ts';
import type { MemberTree } from './tree.ts';

/**
 * What one run of commit checks reads once and reuses: the registry after each membership event commits name,
 * and the ancestors (and themselves) of the heads each revocation pinned. A head that is not held pins nothing
 * more: only what the revoker accepted and this peer holds counts.
 */
export class CommitChecks {
  readonly #repo: Repository;
  readonly #tree: MemberTree;
  readonly #states = new Map<ObjectId, Registry>();
  readonly #byRevocation = new Map<ObjectId, Promise<Set<ObjectId>>>();

  constructor(repo: Repository, tree: MemberTree) {
    this.#repo = repo;
    this.#tree = tree;
  }

  get tree(): MemberTree {
    return this.#tree;
  }

  /**
   * The registry after `event` along its own branch. Built from the nearest state kept below it (or the
   * genesis), keeping the states every KEEP_EVERY events on the way and the one asked for: commits name events
   * in any order (a clone's, newest first), so each later question replays at most KEEP_EVERY events.
   */
  stateAfter(event: ObjectId): Registry {
    const kept = this.#states.get(event);
    if (kept !== undefined) return kept;
    const missing: HeldEvent[] = [];
    let at = this.#tree.get(event);
    while (at !== undefined && !this.#states.has(at.id)) {
      missing.push(at);
      at = at.event.prev === null ? undefined : this.#tree.get(at.event.prev);
    }
    let state = at === undefined ? undefined : this.#states.get(at.id);
    let shared = true; // `state` is kept: copy it before applying an event
    for (const held of missing.reverse()) {
      if (state === undefined) {
        state = this.#tree.stateAfter(held.id); // the genesis: a copy of its own
      } else {
        if (shared) state = state.clone();
        state.apply(held);
      }
      shared = held.id === event || held.event.seq % KEEP_EVERY === 0;
      if (shared) this.#states.set(held.id, state);
    }
    return this.#states.get(event)!;
  }

  pinned(revocation: ObjectId, heads: readonly ObjectId[], commit: ObjectId): Promise<boolean> {
    let history = this.#byRevocation.get(revocation);
    if (history === undefined) {
      history = ancestors(this.#repo, heads);
      this.#byRevocation.set(revocation, history);
    }
    return history.then((ids) => ids.has(commit));
  }
}

/** How far apart the registry states CommitChecks keeps are, in events. */
const KEEP_EVERY = 32;

async function ancestors(repo: Repository, heads: readonly ObjectId[]): Promise<Set<ObjectId>> {
  const seen = new Set<ObjectId>();
  const stack = [...heads];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id) || !(await repo.objects.has(id))) continue;
    seen.add(id);
    stack.push(...(await repo.objects.readTyped(id, 'commit')).parents);
  }
  return seen;
}

/** Null when `commit` (named `id`) is authorized by the chain; otherwise a one-line reason. */
export async function commitAuthorizationProblem(
  checks: CommitChecks,
  id: ObjectId,
  commit: CommitObject,
): Promise<string | null> {
  const { tree } = checks;
  const what = `commit ${shortId(id)}`;
  if (commit.members === null) return `${what} names no membership event`;
  if (!tree.has(commit.members)) return `${what} names membership event ${shortId(commit.members)}, not held`;
  const author = commit.author.slice(0, 41);
  const record = checks.stateAfter(commit.members).byPeerId(commit.author);
  if (record?.state !== 'approved') {
    return `${what}: its author ${author} was not approved at event ${shortId(commit.members)}`;
  }
  if (record.role === 'reader')
    return `${what}: its author ${author} is a reader, and a reader authors no commit`;
  if (commit.signature.length !== 64) return `${what} is not signed by its author ${author}`;
  if (!verifySignature(record.key, commitSigningBytes(commit, tree.group), commit.signature)) {
    return `${what}: its signature by ${author} does not verify (forged or altered)`;
  }
  const now = tree.registry().byKey(record.key);
  // Approved only on a branch the fork rule left off the chain (a revoked admin's puppet): never a member.
  if (now === undefined) return `${what}: its author ${author} is not a member of this group's chain`;
  if (now.state !== 'revoked') return null;
  const revocation = tree.get(now.since.event);
  // A revocation, or a rotation that retired the key: both pin the history the key may still have authored.
  const body = revocation?.body;
  if (revocation === undefined || (body?.kind !== 'revoke' && body?.kind !== 'rotate-key'))
    return `${what}: its author ${author} is revoked`;
  if (await checks.pinned(revocation.id, body.heads, id)) return null;
  const ended = body.kind === 'revoke' ? 'was revoked' : 'was rotated away';
  return `${what}: its author ${author} ${ended} at event ${shortId(revocation.id)}, and the commit is not in the history that event accepted`;
}

/**
 * The heads of `peerId`'s commits reachable from every local branch and remote-tracking ref: its commits that
 * are not ancestors of another of its commits. A revocation records them, pinning the revoked peer's history
 * to what the revoker holds.
 */
export async function authoredHeads(repo: Repository, peerId: string): Promise<ObjectId[]> {
  const tips = await repo.refs.commitTips();
  const below = new Set<ObjectId>(); // reached from one of the author's commits
  const reached = new Set<ObjectId>();
  const heads = new Set<ObjectId>();
  const stack: [ObjectId, boolean][] = tips.map((id) => [id, false]);
  while (stack.length > 0) {
    const [id, under] = stack.pop()!;
    if (below.has(id) || (!under && reached.has(id))) continue;
    const commit = await repo.objects.readTyped(id, 'commit');
    const mine = commit.author === peerId;
    if (under) {
      below.add(id);
      heads.delete(id);
    } else {
      reached.add(id);
      if (mine) heads.add(id);
    }
    for (const parent of commit.parents) stack.push([parent, under || mine]);
  }
  return [...heads].sort();
}

/**
 * Every commit reachable from a branch or remote-tracking ref that `tree` does not authorize, with the reason
 * (fsck and `log --verify`: a commit accepted before its author's revocation arrived shows here).
 */
export async function unauthorizedCommits(
  repo: Repository,
  tree: MemberTree,
): Promise<{ id: ObjectId; problem: string }[]> {
  const checks = new CommitChecks(repo, tree);
  const found: { id: ObjectId; problem: string }[] = [];
  await walkLocalHistory(repo, async (id, commit) => {
    const problem = await commitAuthorizationProblem(checks, id, commit);
    if (problem !== null) found.push({ id, problem });
  });
  return found;
}
