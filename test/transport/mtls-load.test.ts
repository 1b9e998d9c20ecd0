// The secure-peer server under load and under a broken connection: many clients at once against one
// `serve`, and a connection cut in the middle of a pack.

import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { loadIdentity } from '../../src/crypto/load-identity.ts';
import { initRepository, openRepository } from '../../src/store/repository.ts';
import { fetchRemote } from '../../src/sync/fetch.ts';
import { DEFAULT_SYNC_LIMITS } from '../../src/sync/limits.ts';
import { httpTransport } from '../../src/transport/http.ts';
import { invite, joinWith, servedGroup } from './mtls-helpers.ts';

t.test('50 concurrent fetches against one serve all receive the same branch', async (t) => {
  const { root, alice, served } = await servedGroup(t, { API_KEY: 'load-1', DB_URL: 'postgres://x' });
  const bob = await joinWith(t, root, 'bob', await invite(t, alice, served, ['--approve']));
  const identity = await loadIdentity(bob.peer.home);
  const tls = {
    credentials: identity.tlsCredentials(),
    checkServer: (fingerprint: string) => {
      if (fingerprint !== served.fingerprint) throw new Error(`unexpected certificate ${fingerprint}`);
    },
  };
  const source = await openRepository(alice.dir);
  const main = await source.refs.read('refs/heads/main');
  const fetches = Array.from({ length: 50 }, async (_, i) => {
    const repo = await initRepository(path.join(root, `client-${i}`), {
      mode: 'secure-peer',
      group: source.group,
    });
    await fetchRemote(repo, httpTransport(served.url, tls), 'origin', 'load-test', DEFAULT_SYNC_LIMITS);
    return repo.refs.read('refs/remotes/origin/main');
  });
  const tips = await Promise.all(fetches);
  t.equal(tips.length, 50);
  t.ok(
    tips.every((tip) => tip === main),
    'every client holds alice’s main',
  );
  t.notMatch(served.stderr(), /upload-pack:/, 'no exchange failed');
});

t.test('a connection dropped mid-pack moves no ref and leaves fsck clean', async (t) => {
  const { root, alice, served } = await servedGroup(t, { SMALL: 'x' });
  const bob = await joinWith(t, root, 'bob', await invite(t, alice, served, ['--approve']));
  const big = Array.from({ length: 400 }, (_, i) => `KEY_${i}=${randomBytes(96).toString('hex')}`).join('\n');
  await alice.ok(t, ['import', '-'], `${big}\n`);

  // A TCP relay that forwards the TLS bytes both ways and cuts the connection after 24 KiB from the server.
  const [host, port] = served.address.split(':') as [string, string];
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    let relayed = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      relayed += chunk.length;
      if (relayed > 24 * 1024) {
        client.destroy();
        upstream.destroy();
      } else client.write(chunk);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  t.teardown(() => relay.close());
  const relayPort = (relay.address() as net.AddressInfo).port;
  await bob.peer.ok(t, ['remote', 'add', 'cut', `https://127.0.0.1:${relayPort}`]);
  const before = (await bob.peer.ok(t, ['show-ref'])).stdout;
  const cut = await bob.peer.cli(['fetch', 'cut']);
  t.equal(cut.code, 1, 'the fetch fails');
  t.match(cut.stderr, /^env-sync: [^\n]+\n$/, 'with one line');
  t.match(cut.stderr, /closed|mid-answer|in the middle/, 'saying the connection closed mid-answer');
  t.equal((await bob.peer.ok(t, ['show-ref'])).stdout, before, 'no ref moved');
  await bob.peer.ok(t, ['fsck']);
  await bob.peer.ok(t, ['pull', 'origin']);
  t.equal(
    (await bob.peer.ok(t, ['get', 'KEY_7'])).code,
    0,
    'a fetch over the whole connection then succeeds',
  );
});
