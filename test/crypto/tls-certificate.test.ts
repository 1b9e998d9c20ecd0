import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { Test as Tap } from 'tap';
import t from 'tap';
import { certificateFingerprint } from '../../src/crypto/certificate-fingerprint.ts';
import { createIdentity } from '../../src/crypto/create-identity.ts';
import type { Identity } from '../../src/crypto/identity.ts';
import { temporaryHome } from './helpers.ts';

async function twoIdentities(t: Tap): Promise<[Identity, Identity]> {
  const home = await temporaryHome(t);
  return [await createIdentity(home), await createIdentity(`${home}-peer`)];
}

/** A TLS 1.3 server on 127.0.0.1 presenting `server`'s certificate and asking for a client certificate. */
async function listen(t: Tap, server: Identity, seen: (fingerprint: string) => void): Promise<number> {
  const listener = tls.createServer(
    { ...server.tlsCredentials(), minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: false },
    (socket) => {
      seen(certificateFingerprint(socket.getPeerCertificate().raw));
      socket.end('hello from server');
    },
  );
  listener.on('tlsClientError', () => {}); // a refused client is expected in one test
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  t.teardown(() => new Promise((resolve) => listener.close(resolve)));
  return (listener.address() as AddressInfo).port;
}

/** Connects, pins the server's certificate by fingerprint (no CA, no host name), and reads until the end. */
function connect(port: number, client: Identity, pin: string, options: tls.ConnectionOptions = {}) {
  return new Promise<{ protocol: string | null; data: string }>((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ...client.tlsCredentials(),
      rejectUnauthorized: false,
      ...options,
    });
    let data = '';
    socket.on('secureConnect', () => {
      const fingerprint = certificateFingerprint(socket.getPeerCertificate().raw);
      if (fingerprint !== pin)
        socket.destroy(new Error(`certificate ${fingerprint} is not the pinned ${pin}`));
    });
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('end', () => resolve({ protocol: socket.getProtocol(), data }));
    socket.on('error', reject);
  });
}

t.test('the certificate carries the TLS 1.3 handshake, pinned by fingerprint both ways', async (t) => {
  const [server, client] = await twoIdentities(t);
  let clientSeenByServer = '';
  const port = await listen(t, server, (fingerprint) => {
    clientSeenByServer = fingerprint;
  });
  const result = await connect(port, client, server.certificateFingerprint, { minVersion: 'TLSv1.3' });
  t.equal(result.protocol, 'TLSv1.3');
  t.equal(result.data, 'hello from server');
  t.equal(
    clientSeenByServer,
    client.certificateFingerprint,
    'the server sees the client certificate it would pin',
  );
});

t.test('a pin for another certificate is refused', async (t) => {
  const [server, client] = await twoIdentities(t);
  const port = await listen(t, server, () => {});
  await t.rejects(connect(port, client, client.certificateFingerprint), /is not the pinned/);
});

t.test('a TLS 1.2 client is refused by a TLS 1.3-only server', async (t) => {
  const [server, client] = await twoIdentities(t);
  const port = await listen(t, server, () => {});
  await t.rejects(connect(port, client, server.certificateFingerprint, { maxVersion: 'TLSv1.2' }));
});

t.test(
  'the certificate is self-signed for the peer id, an end entity, fingerprinted over its DER',
  async (t) => {
    const [identity] = await twoIdentities(t);
    const certificate = new X509Certificate(identity.certificatePem);
    t.equal(certificate.subject, `CN=${identity.peerId}\nO=env-sync`);
    t.equal(certificate.issuer, certificate.subject);
    t.ok(certificate.verify(certificate.publicKey), 'signed by its own key');
    t.ok(certificate.checkPrivateKey(createPrivateKey(identity.tlsCredentials().key)), 'matches tls.key');
    t.equal(certificate.ca, false);
    t.same(
      certificate.keyUsage?.sort(),
      ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
      'serverAuth and clientAuth',
    );
    t.equal(certificate.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    t.equal(new Date(certificate.validTo).getUTCFullYear(), 9999);
    t.equal(identity.certificateFingerprint, certificate.fingerprint256.replace(/:/g, '').toLowerCase());
  },
);
