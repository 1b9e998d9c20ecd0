// Re-encrypting environments: every branch head gets a new commit whose snapshot is sealed by the session's
// codec (to the current readers). Used when encryption is turned on or off and when readers change.

import type { ObjectId } from '../store/object-id.ts';
import { commitEnvironment, listEnvironments, readEnvironment, type Session } from './environment.ts';

export interface ResealResult {
  readonly env: string;
  readonly commit: ObjectId;
}

export async function resealEnvironments(session: Session, reason: string): Promise<ResealResult[]> {
  const results: ResealResult[] = [];
  for (const env of await listEnvironments(session.repo)) {
    const state = await readEnvironment(session, env);
    if (state.head === null) continue;
    const commit = await commitEnvironment(session, state, { entries: state.entries, message: reason });
    results.push({ env, commit });
  }
  return results;
}
