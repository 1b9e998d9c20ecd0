// TLS session resumption over mutual TLS: a client's later connections to a server resume the session of its
// first, which skips both certificate signatures, yet every one is pinned again, the server still sees the
// client's certificate, and each request is authorized against the registry as it is at that moment.

import path from 'node:path';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import t from 'tap';
import { loadIdentity } from '../../src/crypto/load-identity.ts';
import { initRepository, openRepository } from '../../src/store/repository.ts';
import { fetchRemote } from '../../src/sync/fetch.ts';
import { DEFAULT_SYNC_LIMITS } from '../../src/sync/limits.ts';
import { httpTransport, NOT_A_PEER } from '../../src/transport/http.ts';
import { type ClientTls, connectPinned } from '../../src/transport/mutual-tls.ts';
import { invite, joinWith, servedGroup } from './mtls-helpers.ts';

/** Opens one pinned connection, holds it open while the session ticket arrives; whether it resumed a session. */
function connectOnce(address: string, tls: ClientTls): Promise<boolean> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve, reject) =>
    connectPinned(host, Number(port), tls, (error, socket) => {
      if (error) return reject(error);
      const reused = (socket as TLSSocket).isSessionReused();
      setTimeout(() => {
        socket.destroy();
        resolve(reused);
      }, 100);
    }),
  );
}

t.test(
  'a resumed session is pinned again, carries the client certificate, and a peer revoked mid-exchange is refused',
  async (t) => {
    const { root, alice, served } = await servedGroup(t, { K: 'v' });
    const bob = await joinWith(t, root, 'bob', await invite(t, alice, served, ['--approve']));
    const pinsChecked: string[] = [];
    const tls: ClientTls = {
      credentials: (await loadIdentity(bob.peer.home)).tlsCredentials(),
      checkServer: (fingerprint) => {
        pinsChecked.push(fingerprint);
        if (fingerprint !== served.fingerprint) throw new Error(`unexpected certificate ${fingerprint}`);
      },
    };
    t.equal(await connectOnce(served.address, tls), false, 'the first connection is a full handshake');
    t.equal(await connectOnce(served.address, tls), true, 'the next one resumes its session');
    t.same(
      pinsChecked,
      [served.fingerprint, served.fingerprint],
      'each is pinned, on the certificate first seen',
    );

    const source = await openRepository(alice.dir);
    const repo = await initRepository(path.join(root, 'in-process'), {
      mode: 'secure-peer',
      group: source.group,
    });
    await fetchRemote(repo, httpTransport(served.url, tls), 'origin', 'test', DEFAULT_SYNC_LIMITS);
    t.equal(
      await repo.refs.read('refs/remotes/origin/main'),
      await source.refs.read('refs/heads/main'),
      "a fetch over a resumed session is served: the server saw bob's certificate",
    );

    // A push is two requests: the advertisement's GET, then the POST. Bob is revoked between them.
    const exchange = await httpTransport(served.url, tls).connect('receive-pack');
    const incoming = exchange.incoming as Readable;
    const received: Buffer[] = [];
    const firstAnswer = new Promise((resolve) => incoming.once('data', resolve));
    incoming.on('data', (chunk: Buffer) => received.push(chunk));
    const ended = new Promise((resolve) => {
      incoming.once('end', resolve);
      incoming.once('close', resolve);
      incoming.once('error', resolve);
    });
    await firstAnswer;
    const advertisement = Buffer.concat(received).toString('latin1');
    t.notMatch(advertisement, NOT_A_PEER, 'the GET was served while bob was approved');
    await alice.ok(t, ['peer', 'revoke', bob.peerId]);
    exchange.outgoing!.end(Buffer.from('not even a frame'));
    await ended;
    t.match(Buffer.concat(received).toString('latin1'), NOT_A_PEER, 'the POST after the revoke is refused');
    exchange.close();
    t.equal(await connectOnce(served.address, tls), true, 'while the session still resumes');
    t.match(served.stderr(), /refused certificate [0-9a-f]{64}: not an approved peer/);
  },
);
