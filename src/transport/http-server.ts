// The dev-plaintext-http server pipe: routes GET/POST <prefix><service> to the protocol's server side.
// No authentication and no encryption: debugging only, loopback by default (docs/protocol.md#pipes).

import http from 'node:http';
import type { Repository } from '../store/repository.ts';
import type { Service } from '../sync/messages.ts';
import { serveReceivePack } from '../sync/receive-pack.ts';
import { serveUploadPack } from '../sync/upload-pack.ts';
import { CONTENT_TYPE, PATH_PREFIX } from './http.ts';

export interface SyncServerOptions {
  /** Called with each failed exchange (for the server's log); never with secret values. */
  readonly onError?: (error: Error, service: Service) => void;
  /** Refuse pushes (serve --read-only). */
  readonly readOnly?: boolean;
}

export function createSyncServer(repo: Repository, options: SyncServerOptions = {}): http.Server {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const service = url.pathname.startsWith(PATH_PREFIX) ? url.pathname.slice(PATH_PREFIX.length) : '';
    if (service !== 'upload-pack' && service !== 'receive-pack') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not an env-sync endpoint\n');
      return;
    }
    if (service === 'receive-pack' && options.readOnly) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end('this server is read-only\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'POST') {
      response.writeHead(405, { allow: 'GET, POST' }).end();
      return;
    }
    response.writeHead(200, { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' });
    const get = request.method === 'GET';
    if (get) request.resume();
    const serve = service === 'upload-pack' ? serveUploadPack : serveReceivePack;
    void serve(repo, request, response, { advertise: get, answer: !get }).then((error) => {
      if (error !== null) {
        options.onError?.(error, service);
        if (!response.writableEnded) response.destroy();
      }
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 0;
  return server;
}

/** Stops accepting, lets exchanges in flight finish for up to `graceMs`, then closes what is left. */
export async function closeSyncServer(server: http.Server, graceMs = 2000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
