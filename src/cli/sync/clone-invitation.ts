// `env-sync clone <token>`, the joiner's first step: sign a join request for the token's group with this
// machine's identity (created if there is none) and send it with the invitation's secret to the first address
// that answers, over mutual TLS pinned to the token's certificate. Nothing but that identity is written here.

import { EnvSyncError, isEnvSyncError } from '../../errors.ts';
import type { InvitationToken } from '../../membership/invitation.ts';
import type { ClientTls } from '../../transport/mutual-tls.ts';
import { loadThisPeer } from '../session.ts';
import { clientTls } from './connect.ts';

export interface Joined {
  readonly token: InvitationToken;
  /** `https://<address>` that accepted the join. */
  readonly url: string;
  readonly tls: ClientTls;
  readonly state: 'pending' | 'approved';
  readonly peerId: string;
}

export async function joinWithInvitation(text: string, now: number): Promise<Joined> {
  const [{ parseToken }, { createJoinRequest }, { joinRequestToJson }, { joinBody }, { postJoin }] =
    await Promise.all([
      import('../../membership/invitation.ts'),
      import('../../membership/build-event.ts'),
      import('../../membership/join-request.ts'),
      import('../../membership/network-join.ts'),
      import('../../transport/join-client.ts'),
    ]);
  const token = parseToken(text);
  if (token.expires < now) throw new EnvSyncError('E_EVENT_REPLAY', 'this invitation has expired');
  const identity = await loadThisPeer();
  const card = {
    name: identity.name,
    ageRecipient: identity.ageRecipient,
    certificateFingerprint: identity.certificateFingerprint,
  };
  const request = createJoinRequest(identity.signingKey, card, token.group, now);
  const body = joinBody(joinRequestToJson(request), token.secret);
  const tls = await clientTls({ fingerprint: token.fingerprint, peerId: token.inviter }, `the inviter`);
  let unreachable: EnvSyncError | null = null;
  for (const address of token.addresses) {
    const url = `https://${address}`;
    try {
      const answer = await postJoin(url, tls, body);
      const state = answer.state === 'approved' ? 'approved' : 'pending';
      return { token, url, tls, state, peerId: identity.peerId };
    } catch (error) {
      // Only a peer that cannot be reached sends us to the next address; a refusal is the answer.
      if (!isEnvSyncError(error) || !error.message.startsWith('cannot reach')) throw error;
      unreachable = error;
    }
  }
  throw unreachable ?? new EnvSyncError('E_REMOTE', 'the invitation names no address');
}
