// The HTTP server pipe: routes GET/POST <prefix><service> to the protocol's server side. Plain HTTP for
// dev-plaintext-http (no authentication: debugging only, loopback by default; docs/protocol.md#pipes), or
// HTTPS with mutual TLS 1.3 for secure-peer, where a gate decides each request from the client's certificate.

import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { isEnvSyncError } from '../errors.ts';
import type { PeerAccess } from '../membership/certificate-access.ts';
import type { Repository } from '../store/repository.ts';
import { encodeFrame } from '../sync/frames.ts';
import { errorFrame, type Service } from '../sync/messages.ts';
import { serveReceivePack } from '../sync/receive-pack.ts';
import { type BeforeRefUpdates, serveUploadPack } from '../sync/upload-pack.ts';
import { CONTENT_TYPE, JOIN_ENDPOINT, NOT_A_PEER, PATH_PREFIX } from './http.ts';
import { type PeerCredentials, peerFingerprint, serverTlsOptions } from './mutual-tls.ts';

const MAX_JOIN_BODY_BYTES = 64 * 1024;

/** What a secure-peer server asks of the repository's membership, for every request. */
export interface PeerGate {
  readonly credentials: PeerCredentials;
  /** Credentials a client asks for by SNI instead (this peer's certificate before its last rotation). */
  readonly credentialsFor?: (serverName: string) => PeerCredentials | undefined;
  /** What the holder of the certificate with this fingerprint may do now (the registry as it is). */
  access(fingerprint: string): Promise<PeerAccess>;
  /** A join with an invitation: the JSON body and the certificate that sent it; resolves the JSON answer. */
  join(body: string, fingerprint: string): Promise<Record<string, unknown>>;
}

export interface SyncServerOptions {
  /** Called with each failed exchange and its endpoint (for the server's log); never with secret values. */
  readonly onError?: (error: Error, endpoint: string) => void;
  /** Refuse pushes (serve --read-only). */
  readonly readOnly?: boolean;
  /** Mutual TLS: serve over HTTPS and let the gate authorize every request. */
  readonly gate?: PeerGate;
  /** Runs before a push moves any branch (the membership check of secure-peer). */
  readonly beforeRefUpdates?: BeforeRefUpdates;
  /** Most connections open at once. */
  readonly maxConnections?: number;
  /** Longest silence on a connection, in milliseconds. */
  readonly idleMs?: number;
}

const PENDING_PUSH = 'this peer is pending approval: it may fetch the membership chain, not push';
const READER_PUSH = 'this peer is a reader: it may fetch, not push';

export function createSyncServer(repo: Repository, options: SyncServerOptions = {}): http.Server {
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) =>
    void route(repo, options, request, response).catch((error: Error) => {
      options.onError?.(error, request.url ?? '/');
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  const server =
    options.gate === undefined
      ? http.createServer(handler)
      : https.createServer(serverTlsOptions(options.gate.credentials, options.gate.credentialsFor), handler);
  server.headersTimeout = 10_000;
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5_000;
  if (options.idleMs !== undefined) server.timeout = options.idleMs;
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  return server;
}

async function route(
  repo: Repository,
  options: SyncServerOptions,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const name = url.pathname.startsWith(PATH_PREFIX) ? url.pathname.slice(PATH_PREFIX.length) : '';
  const gate = options.gate;
  const fingerprint = gate === undefined ? null : peerFingerprint(request.socket as TLSSocket);
  if (gate !== undefined && name === JOIN_ENDPOINT && fingerprint !== null) {
    await answerJoin(gate, fingerprint, options, request, response);
    return;
  }
  if (name !== 'upload-pack' && name !== 'receive-pack') {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not an env-sync endpoint\n');
    return;
  }
  const service: Service = name;
  const access =
    gate === undefined ? 'full' : fingerprint === null ? 'refused' : await gate.access(fingerprint);
  if (access === 'refused' || (access !== 'full' && service === 'receive-pack')) {
    request.resume();
    refuse(response, access === 'refused' ? NOT_A_PEER : access === 'read' ? READER_PUSH : PENDING_PUSH);
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
  const error = await serve(repo, request, response, {
    advertise: get,
    answer: !get,
    membershipOnly: access === 'membership',
    beforeRefUpdates: options.beforeRefUpdates,
  });
  if (error !== null) {
    options.onError?.(error, service);
    if (!response.writableEnded) response.destroy();
  }
}

/** A refusal as the protocol's own `error` frame, so a client prints the reason and nothing else is sent. */
function refuse(response: http.ServerResponse, message: string): void {
  response
    .writeHead(403, { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' })
    .end(encodeFrame(errorFrame(message)));
}

/** The join endpoint, for any client with a certificate: a POST of a join with an invitation (gate.join). */
async function answerJoin(
  gate: PeerGate,
  fingerprint: string,
  options: SyncServerOptions,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const json = (status: number, body: Record<string, unknown>) =>
    response
      .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(`${JSON.stringify(body)}\n`);
  if (request.method !== 'POST') {
    request.resume();
    json(405, { error: 'a join is a POST' });
    return;
  }
  const body = await readBody(request, MAX_JOIN_BODY_BYTES);
  if (body === null) {
    json(413, { error: 'the join request is too large' });
    return;
  }
  try {
    json(200, await gate.join(body, fingerprint));
  } catch (error) {
    options.onError?.(error as Error, JOIN_ENDPOINT);
    json(
      403,
      isEnvSyncError(error) ? { error: error.message, code: error.code } : { error: 'internal error' },
    );
  }
}

/** The request body as text, or null past `limit` bytes (the rest is not read). */
async function readBody(request: http.IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      request.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Stops accepting, lets exchanges in flight finish for up to `graceMs`, then closes what is left. */
export async function closeSyncServer(server: http.Server, graceMs = 2000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
