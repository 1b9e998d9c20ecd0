// The dev-plaintext-http client pipe: GET <url>/env-sync/v1/<service> is the advertisement, POST to the same
// path carries the client's turn and returns the server's answer; both bodies are protocol frames. A client
// that asks first (a one-turn fetch) sends only the POST, whose answer then starts with the advertisement.

import http from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import { EnvSyncError } from '../errors.ts';
import type { ConnectOptions, Exchange, Transport } from '../sync/exchange.ts';
import type { Service } from '../sync/messages.ts';

export const CONTENT_TYPE = 'application/x-env-sync-frames';
export const PATH_PREFIX = '/env-sync/v1/';

export function httpTransport(url: string): Transport {
  const base = new URL(url);
  if (base.protocol !== 'http:') throw new EnvSyncError('E_USAGE', `not an http:// URL: ${url}`);
  const endpoint = (service: Service) =>
    new URL(`${base.pathname.replace(/\/$/, '')}${PATH_PREFIX}${service}`, base);
  return {
    url,
    async connect(service: Service, options: ConnectOptions = {}): Promise<Exchange> {
      const target = endpoint(service);
      const incoming = new PassThrough();
      const requests: http.ClientRequest[] = [];
      const fail = (error: Error) => {
        const code = (error as NodeJS.ErrnoException).code;
        incoming.destroy(
          error instanceof EnvSyncError
            ? error
            : new EnvSyncError('E_REMOTE', `cannot reach ${url}${code ? ` (${code})` : ''}`),
        );
      };
      const relay = (response: http.IncomingMessage, end: boolean, done: () => void) => {
        const type = response.headers['content-type'] ?? '';
        if (!type.startsWith(CONTENT_TYPE)) {
          response.resume();
          fail(
            new EnvSyncError(
              'E_REMOTE',
              `${url} answered HTTP ${response.statusCode} without sync frames (not an env-sync server?)`,
            ),
          );
          return;
        }
        response.on('error', fail);
        response.on('aborted', () =>
          fail(new EnvSyncError('E_PROTOCOL', `${url} closed the connection mid-answer`)),
        );
        response.on('end', done);
        response.pipe(incoming, { end });
      };
      let advertisementDone: Promise<void> = Promise.resolve();
      if (!options.askFirst) {
        let advertised!: () => void;
        advertisementDone = new Promise<void>((resolve) => {
          advertised = resolve;
        });
        const get = http.get(target, { headers: { accept: CONTENT_TYPE } }, (response) =>
          relay(response, false, advertised),
        );
        get.on('error', fail);
        requests.push(get);
      }
      let postRequest: http.ClientRequest | null = null;
      const post = (): http.ClientRequest => {
        if (postRequest !== null) return postRequest;
        const request = http.request(target, {
          method: 'POST',
          headers: { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE },
        });
        postRequest = request;
        requests.push(request);
        request.on('error', fail);
        request.on('response', (response) => {
          void advertisementDone.then(() => relay(response, true, () => {}));
        });
        return request;
      };
      // The POST starts with the client's first byte, so a push streams its pack instead of buffering it; a
      // client that asks first has nothing to wait for, so its request goes out now (the connection and the
      // headers while it prepares its turn).
      if (options.askFirst) post().flushHeaders();
      const outgoing = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          const request = post();
          if (request.write(chunk)) callback();
          else request.once('drain', () => callback());
        },
        final(callback) {
          if (postRequest === null) {
            void advertisementDone.then(() => incoming.end());
            callback();
          } else postRequest.end(() => callback());
        },
      });
      incoming.on('close', () => {
        if (!outgoing.writableFinished) outgoing.destroy();
      });
      return {
        incoming,
        outgoing,
        close() {
          for (const request of requests) request.destroy();
          incoming.destroy();
          outgoing.destroy();
        },
      };
    },
  };
}
