// The joiner's side of the join endpoint: one POST of the join body over a pinned mutual-TLS connection,
// answered with JSON (docs/protocol.md#joining-with-an-invitation).

import http from 'node:http';
import { EnvSyncError } from '../errors.ts';
import { endpoint, JOIN_ENDPOINT, reachError } from './http.ts';
import type { ClientTls } from './mutual-tls.ts';

const MAX_ANSWER_BYTES = 64 * 1024;

/** POSTs `body` to `<url>/env-sync/v1/join`; resolves the server's JSON answer or throws its one-line refusal. */
export function postJoin(url: string, tls: ClientTls, body: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      ...endpoint(new URL(url), JOIN_ENDPOINT, tls),
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    request.on('error', (error) => reject(reachError(url, error)));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES)
          response.destroy(new EnvSyncError('E_PROTOCOL', `${url} answered too much`));
        else chunks.push(chunk);
      });
      response.on('error', (error) => reject(reachError(url, error)));
      response.on('end', () => {
        let json: Record<string, unknown>;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          reject(
            new EnvSyncError(
              'E_REMOTE',
              `${url} answered HTTP ${response.statusCode} without JSON (not an env-sync server?)`,
            ),
          );
          return;
        }
        if (response.statusCode === 200) resolve(json);
        else reject(refusal(url, json));
      });
    });
    request.end(body);
  });
}

/** The server's refusal as one line; a name the group holds already gets the way out (the invitation stands). */
function refusal(url: string, json: Record<string, unknown>): EnvSyncError {
  const reason = `${url} refused the join: ${String(json.error ?? 'no reason given')}`;
  if (json.code !== 'E_NAME_TAKEN') return new EnvSyncError('E_REMOTE', reason);
  return new EnvSyncError(
    'E_NAME_TAKEN',
    `${reason}; choose another with: env-sync identity rename <name>, then run the same clone again`,
  );
}
