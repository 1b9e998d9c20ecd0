// After a revocation: which of the values the revoked peer could read are still in use (docs/security.md,
// key lifecycle). A key counts as rotated when its value at the environment's head is none of the values
// any snapshot sealed to that peer held, or when the key is gone. Values are compared, never shown.

import { isEnvSyncError } from '../errors.ts';
import { environmentOf } from '../store/ref-names.ts';
import { readEnvironment, type Session } from './environment.ts';
import { snapshotsSealedTo } from './reader-exposure.ts';

export type KeyState = 'unchanged' | 'rotated' | 'removed' | 'unreadable';

export interface KeyRotation {
  readonly env: string;
  readonly key: string;
  readonly state: KeyState;
}

/** Every key of every environment that a snapshot sealed to `ageRecipient` held, with where it stands now. */
export async function rotationStatus(session: Session, ageRecipient: string): Promise<KeyRotation[]> {
  const result: KeyRotation[] = [];
  for (const ref of await session.repo.refs.list('refs/heads/')) {
    const env = environmentOf(ref.name);
    const exposed = new Map<string, Set<string>>();
    let unreadable = false;
    for await (const { id, snapshot } of snapshotsSealedTo(session.repo, ref.id, ageRecipient)) {
      const entries = await session.codec.open(snapshot, `snapshot ${id.slice(0, 12)}`).catch((error) => {
        // Sealed to the revoked peer but not to this one: its keys are listed, their values unknown here.
        if (!isEnvSyncError(error, 'E_NOT_RECIPIENT')) throw error;
        unreadable = true;
        return new Map(snapshot.keys.map((key) => [key, '']));
      });
      for (const [key, value] of entries) exposed.set(key, (exposed.get(key) ?? new Set()).add(value));
    }
    if (exposed.size === 0) continue;
    const head = (await readEnvironment(session, env)).entries;
    for (const key of [...exposed.keys()].sort()) {
      const value = head.get(key);
      const state: KeyState =
        value === undefined
          ? 'removed'
          : exposed.get(key)!.has(value)
            ? 'unchanged'
            : unreadable
              ? 'unreadable'
              : 'rotated';
      result.push({ env, key, state });
    }
  }
  return result;
}
