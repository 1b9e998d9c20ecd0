// Makes the TLS key pair and self-signed X.509 certificate a peer presents in secure-peer transport.
// Peers pin the certificate by its SHA-256 fingerprint, so no CA, name or expiry checking is involved.

import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

export interface TlsCredentials {
  /** PKCS#8 PEM RSA private key: secret. */
  keyPem: string;
  certificatePem: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A fresh RSA-2048 key and a certificate for `commonName` (the peer id), signed by itself.
 *
 * node-forge can only sign certificates with RSA keys, and generating RSA in forge's pure JavaScript takes
 * 1.9 s (measured, Node 20); node:crypto (OpenSSL, off the main thread) takes 110-140 ms. Forge would
 * delegate to node:crypto on its own only under conditions it detects silently, so we generate the key
 * here and use forge just to build and sign the certificate.
 */
export async function createTlsCredentials(commonName: string): Promise<TlsCredentials> {
  const [{ default: forge }, keys] = await Promise.all([
    import('node-forge'), // heavy: loaded only when an identity is created
    generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicExponent: 0x10001,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }),
  ]);
  const privateKey = forge.pki.privateKeyFromPem(keys.privateKey);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKey);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // a positive INTEGER, at most 20 octets (RFC 5280 4.1.2.2)
  cert.serialNumber = serial.toString('hex');
  // Backdated an hour for clock skew; 9999-12-31 means "no expiry" (RFC 5280 4.1.2.5): pinning decides.
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date('9999-12-31T23:59:59Z');
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'env-sync' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  // forge writes CRLF PEM; the files use LF like openssl does.
  return { keyPem: keys.privateKey, certificatePem: forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n') };
}
