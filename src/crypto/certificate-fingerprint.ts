// The SHA-256 fingerprint of an X.509 certificate's DER bytes: how peers pin each other's TLS certificates.
// Lowercase hex, 64 characters; equals `openssl x509 -in tls.crt -outform DER | sha256sum`.

import { createHash, X509Certificate } from 'node:crypto';

/** Fingerprint of DER bytes (e.g. `tlsSocket.getPeerCertificate().raw`) or of a PEM certificate. */
export function certificateFingerprint(certificate: Uint8Array | string): string {
  const der = typeof certificate === 'string' ? new X509Certificate(certificate).raw : certificate;
  return createHash('sha256').update(der).digest('hex');
}
