// Re-encrypting environments: every branch head gets a new commit whose snapshot is sealed by the session's
// codec (to the current readers). Used when encryption is turned on or off and when readers change.

import type { ObjectId } from '../store/object-id.ts';
import { commitEnvironment, listEnvironments, readEnvironment, type Session } from './environment.ts';

export interface ResealResult {
  readonly env: string;
  readonly commit: ObjectId;
  /** How many recipients the new snapshot is sealed to; 0 when it is stored in plaintext. */
  readonly readers: number;
}

/** `re-sealed main to 3 readers`: a re-seal changes who can read, never a value, and says so. */
export function describeReseal({ env, readers }: ResealResult): string {
  return readers === 0 ? `stored ${env} in plaintext` : `re-sealed ${env} to ${readers} reader(s)`;
}

export async function resealEnvironments(session: Session, reason: string): Promise<ResealResult[]> {
  const results: ResealResult[] = [];
  for (const env of await listEnvironments(session.repo)) {
    const state = await readEnvironment(session, env);
    if (state.head === null) continue;
    const commit = await commitEnvironment(session, state, { entries: state.entries, message: reason });
    const snapshot = await session.repo.objects.readTyped(
      (await session.repo.objects.readTyped(commit, 'commit')).snapshot,
      'snapshot',
    );
    results.push({ env, commit, readers: snapshot.encoding === 'age' ? snapshot.recipients.length : 0 });
  }
  return results;
}
