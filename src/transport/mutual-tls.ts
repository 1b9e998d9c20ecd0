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

const TLS13 = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' } as const;
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Server options: a client certificate is requested and any self-signed one completes the handshake; the
 * server then decides per request from its fingerprint (`peerFingerprint`), against the registry of the moment.
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
  const socket = tls.connect({
    host,
    port,
    key: client.credentials.key,
    cert: client.credentials.cert,
    ...TLS13,
    rejectUnauthorized: false,
    ...(client.serverName === undefined ? {} : { servername: client.serverName }),
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
    try {
      client.checkServer(peerFingerprint(socket) ?? '(none)');
    } catch (error) {
      socket.destroy();
      done(error as Error, socket);
      return;
    }
    done(null, socket);
  });
}
