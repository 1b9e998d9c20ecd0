// The TLS both sides of secure-peer speak (docs/transports.md#secure-peer-mutual-tls-13): TLS 1.3 only, each
// side presents its identity certificate, and trust is a pin on the certificate's fingerprint, never a CA or a name.

import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { certificateFingerprint } from '../crypto/certificate-fingerprint.ts';

/** A peer's identity certificate and its key, as `Identity.tlsCredentials()` returns them. */
export interface PeerCredentials {
  readonly key: string;
  readonly cert: string;
}

/** What the client side of a secure-peer connection needs: its own certificate and the server's pin. */
export interface ClientTls {
  readonly credentials: PeerCredentials;
  /** Throws (naming the fingerprint it saw) unless the server's certificate is one this client trusts. */
  readonly checkServer: (fingerprint: string) => void;
  /** Sent as SNI: the peer id (lower case) whose certificate the client expects, so a rotated server can pick. */
  readonly serverName?: string;
}

// `ca: []`: no certificate authority is trusted, and none is loaded. Without it Node parses its bundled root
// store (about 140 certificates, 35-45 ms here) into every process's first TLS context, for nothing: the
// pin decides.
const TLS13 = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ca: [] as string[] } as const;
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * TLS 1.3 sessions to resume, per server address, server name and client certificate, for the life of the process, with
 * the server fingerprint the full handshake pinned. A resumed handshake shows the client no certificate (it
 * proves the server holds the keys of the session that one made); the pin is checked again on that fingerprint.
 */
const sessions = new Map<string, { readonly session: Buffer; readonly fingerprint: string }>();
/** The client's TLS context per certificate: parsing the key for every connection costs as much again. */
const contexts = new Map<string, tls.SecureContext>();

function clientContext(credentials: PeerCredentials): tls.SecureContext {
  let context = contexts.get(credentials.cert);
  if (context === undefined) {
    context = tls.createSecureContext({ key: credentials.key, cert: credentials.cert, ...TLS13 });
    contexts.set(credentials.cert, context);
  }
  return context;
}

/**
 * Server options: a client certificate is requested and any self-signed one completes the handshake; the
 * server then decides per request from its fingerprint (`peerFingerprint`), against the registry of the moment.
 * Session tickets use Node's default: keys made at random in memory for each server, so a resumed session
 * carries the client certificate of its full handshake and dies with the process.
 */
export function serverTlsOptions(
  credentials: PeerCredentials,
  /** Other credentials for a client that names them by SNI (a peer's certificate from before its rotation). */
  byServerName?: (serverName: string) => PeerCredentials | undefined,
): tls.TlsOptions {
  return {
    key: credentials.key,
    cert: credentials.cert,
    SNICallback: (serverName, done) => {
      const other = byServerName?.(serverName);
      done(null, other === undefined ? undefined : tls.createSecureContext({ ...other, ...TLS13 }));
    },
    ...TLS13,
    requestCert: true,
    rejectUnauthorized: false,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  };
}

/** The SHA-256 fingerprint of the certificate the other side presented, or null if it presented none. */
export function peerFingerprint(socket: tls.TLSSocket): string | null {
  // On the server, a resumed session keeps the client's certificate; on the client it shows none.
  const raw = socket.getPeerCertificate()?.raw;
  return raw === undefined || raw.length === 0 ? null : certificateFingerprint(raw);
}

/**
 * Connects to `host:port`, completes the handshake and checks the server's pin; only then hands the socket
 * to `done`, so not one byte of the protocol goes to a server that is not trusted.
 */
export function connectPinned(
  host: string,
  port: number,
  client: ClientTls,
  done: (error: Error | null, socket: Duplex) => void,
): void {
  const cacheKey = `${host}:${port}\n${client.serverName ?? ''}\n${client.credentials.cert}`;
  const cached = sessions.get(cacheKey);
  const socket = tls.connect({
    host,
    port,
    secureContext: clientContext(client.credentials),
    rejectUnauthorized: false,
    session: cached?.session,
    ...(client.serverName === undefined ? {} : { servername: client.serverName }),
  });
  const serverFingerprint = () =>
    socket.isSessionReused() && cached !== undefined ? cached.fingerprint : peerFingerprint(socket);
  let pinned: string | null = null;
  // Tickets arrive after the handshake; only those of a server that passed the pin are kept.
  socket.on('session', (session: Buffer) => {
    if (pinned !== null) sessions.set(cacheKey, { session, fingerprint: pinned });
  });
  // The protocol writes small frames in turn (a request, then an answer): Nagle's delay would hold each back.
  socket.setNoDelay(true);
  const timer = setTimeout(
    () => socket.destroy(Object.assign(new Error('handshake timeout'), { code: 'ETIMEDOUT' })),
    HANDSHAKE_TIMEOUT_MS,
  );
  const fail = (error: Error) => {
    clearTimeout(timer);
    done(error, socket);
  };
  socket.once('error', fail);
  socket.once('secureConnect', () => {
    clearTimeout(timer);
    socket.off('error', fail);
    const fingerprint = serverFingerprint() ?? '(none)';
    try {
      client.checkServer(fingerprint);
      pinned = fingerprint;
    } catch (error) {
      sessions.delete(cacheKey);
      socket.destroy();
      done(error as Error, socket);
      return;
    }
    done(null, socket);
  });
}
