// The HTTP client pipe, plain (dev-plaintext-http) or over mutual TLS (secure-peer): a fetch is one POST to
// <url>/env-sync/v1/upload-pack, whose body is the client's `fetch` frame and whose answer is the advertisement
// and the pack; a push GETs the receive-pack advertisement, then POSTs its commands and pack to the same path.

import http from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import { EnvSyncError } from '../errors.ts';
import type { Service } from '../sync/messages.ts';
import type { Exchange, Transport } from '../sync/transport-interface.ts';
import { type ClientTls, connectPinned } from './mutual-tls.ts';

export const CONTENT_TYPE = 'application/x-env-sync-frames';
export const PATH_PREFIX = '/env-sync/v1/';
/** secure-peer's join endpoint: `POST <prefix>join`, JSON both ways. */
export const JOIN_ENDPOINT = 'join';
/** What a secure-peer server answers a certificate it does not serve. */
export const NOT_A_PEER = 'this certificate is not an approved peer of this group; nothing is served to it';

/** An http:// transport, or with `tls` an https:// one whose every connection is pinned before it is used. */
export function httpTransport(url: string, tls?: ClientTls): Transport {
  const base = endpointBase(url, tls);
  return {
    url,
    async connect(service: Service): Promise<Exchange> {
      return httpExchange(url, endpoint(base, service, tls), service);
    },
  };
}

function endpointBase(url: string, tls: ClientTls | undefined): URL {
  const base = new URL(url);
  const scheme = tls === undefined ? 'http:' : 'https:';
  if (base.protocol !== scheme) throw new EnvSyncError('E_USAGE', `not an ${scheme}// URL: ${url}`);
  return base;
}

/** Request options for `<base>/env-sync/v1/<name>`; over TLS each request opens its own pinned connection. */
export function endpoint(base: URL, name: string, tls?: ClientTls): http.RequestOptions {
  const target: http.RequestOptions = {
    host: base.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(base.port || (tls === undefined ? 80 : 443)),
    path: `${base.pathname.replace(/\/$/, '')}${PATH_PREFIX}${name}`,
  };
  if (tls === undefined) return target;
  return {
    ...target,
    createConnection: (_options, done) => {
      connectPinned(target.host!, target.port as number, tls, done);
      return undefined;
    },
  };
}

/**
 * The server's side is `incoming`: the GET's body (receive-pack only), then the POST's. The POST starts with
 * the client's first byte, so a push streams its pack instead of buffering it; a fetch's POST goes out at
 * once (the connection and the headers while the client collects its haves).
 */
/** What the requests of one exchange share: where they go, where answers go, and how they fail. */
interface HttpPipe {
  readonly url: string;
  readonly target: http.RequestOptions;
  readonly incoming: PassThrough;
  readonly requests: http.ClientRequest[];
  fail(error: Error): void;
}

function httpExchange(url: string, target: http.RequestOptions, service: Service): Exchange {
  const incoming = new PassThrough();
  const pipe: HttpPipe = {
    url,
    target,
    incoming,
    requests: [],
    fail: (error) => incoming.destroy(reachError(url, error)),
  };
  const advertised = service === 'receive-pack' ? getAdvertisement(pipe) : null;
  let postRequest: http.ClientRequest | null = null;
  const post = (): http.ClientRequest => {
    postRequest ??= startPost(pipe, advertised ?? Promise.resolve());
    return postRequest;
  };
  if (advertised === null) post().flushHeaders();
  const outgoing = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const request = post();
      if (request.write(chunk)) callback();
      else request.once('drain', () => callback());
    },
    final(callback) {
      if (postRequest !== null) postRequest.end(() => callback());
      else {
        // A push with nothing to send: the advertisement was the whole answer.
        void advertised?.then(() => incoming.end());
        callback();
      }
    },
  });
  incoming.on('close', () => {
    if (!outgoing.writableFinished) outgoing.destroy();
  });
  return {
    incoming,
    outgoing,
    close() {
      for (const request of pipe.requests) request.destroy();
      incoming.destroy();
      outgoing.destroy();
    },
  };
}

/** GETs the advertisement into the pipe's `incoming` (left open); resolves when it has all been relayed. */
function getAdvertisement(pipe: HttpPipe): Promise<void> {
  return new Promise<void>((resolve) => {
    const get = http.get({ ...pipe.target, headers: { accept: CONTENT_TYPE } }, (response) =>
      relay(pipe, response, false, resolve),
    );
    get.on('error', pipe.fail);
    pipe.requests.push(get);
  });
}

/** Starts the POST that carries the client's turn; its answer goes into `incoming` after `after`. */
function startPost(pipe: HttpPipe, after: Promise<void>): http.ClientRequest {
  const request = http.request({
    ...pipe.target,
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE },
  });
  pipe.requests.push(request);
  request.on('error', pipe.fail);
  request.on('response', (response) => {
    void after.then(() => relay(pipe, response, true, () => {}));
  });
  return request;
}

/** Pipes a response of sync frames into `incoming`; anything else (another server, an error page) fails. */
function relay(pipe: HttpPipe, response: http.IncomingMessage, end: boolean, done: () => void): void {
  const type = response.headers['content-type'] ?? '';
  if (!type.startsWith(CONTENT_TYPE)) {
    response.resume();
    pipe.fail(
      new EnvSyncError(
        'E_REMOTE',
        `${pipe.url} answered HTTP ${response.statusCode} without sync frames (not an env-sync server?)`,
      ),
    );
    return;
  }
  response.on('error', pipe.fail);
  response.on('aborted', () =>
    pipe.fail(new EnvSyncError('E_PROTOCOL', `${pipe.url} closed the connection mid-answer`)),
  );
  response.on('end', done);
  response.pipe(pipe.incoming, { end });
}

/** A socket error as a one-line message naming the URL; protocol errors (and a refused pin) pass through. */
export function reachError(url: string, error: Error): EnvSyncError {
  if (error instanceof EnvSyncError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new EnvSyncError('E_REMOTE', `cannot reach ${url}${code ? ` (${code})` : ''}`);
}
