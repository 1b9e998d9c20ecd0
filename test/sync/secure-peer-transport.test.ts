// secure-peer moves objects only over mutual TLS, a local path or a bundle
// (docs/security.md#secure-peer-syncs-only-over-mutual-tls): every sync command refuses another URL before
// any request reaches it, and clone refuses as soon as the advertisement says secure-peer.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { openRepository } from '../../src/store/repository.ts';
import { initSecurePeerRepository } from '../helpers/secure-peer-repo.ts';
import { initPeer, type Peer, peer, serveInProcess } from './helpers.ts';

const REASON = 'secure-peer syncs only over mutual TLS, a local path or a bundle';

async function securePeer(root: string, name: string): Promise<Peer> {
  const p = peer(root, name);
  await initSecurePeerRepository(p.dir, p.home);
  return p;
}

function expectOneLine(t: Test, result: { code: number | null; stderr: string }, message: RegExp): void {
  t.equal(result.code, 1, 'exits 1');
  t.match(result.stderr, /^env-sync: [^\n]+\n$/, 'one line on stderr');
  t.match(result.stderr, message);
}

t.test('remote add in secure-peer refuses plain HTTP and SSH URLs, naming the reason', async (t) => {
  const root = t.testdir();
  const secure = await securePeer(root, 'secure');
  const config = path.join(secure.dir, '.env-sync/config');
  const before = readFileSync(config, 'utf8');
  const refusals: [string, RegExp][] = [
    ['http://127.0.0.1:7464', /; http:\/\/127\.0\.0\.1:7464 is plain HTTP$/m],
    ['HTTP://laptop/app', /is plain HTTP$/m],
    [
      'ssh://me@laptop/~/app',
      /is SSH, which authenticates a machine's accounts, not the group's pinned peers$/m,
    ],
    ['me@laptop:app', /is SSH/],
    ['laptop:app', /is SSH/],
    ['git://laptop/app', /uses git:\/\/, which is none of these$/m],
  ];
  for (const [url, reason] of refusals) {
    const result = await secure.cli(['remote', 'add', 'x', url]);
    expectOneLine(t, result, new RegExp(`^env-sync: ${REASON}; `));
    t.match(result.stderr, reason, url);
  }
  t.equal(readFileSync(config, 'utf8'), before, 'the config is unchanged');
  await secure.ok(t, ['remote', 'add', 'path', path.join(root, 'elsewhere')]);
  await secure.ok(t, ['remote', 'add', 'file', `file://${path.join(root, 'elsewhere')}`]);
  await secure.ok(t, ['remote', 'add', 'bundle', path.join(root, 'x.bundle')]);
  await secure.ok(t, ['remote', 'add', 'laptop', 'https://laptop:7464']);
});

t.test('fetch, pull and push in secure-peer send no request to an http:// remote', async (t) => {
  const root = t.testdir();
  const dev = await initPeer(root, 'dev');
  await dev.commit({ A: '1' });
  const server = await serveInProcess(t, await openRepository(dev.dir));
  const secure = await securePeer(root, 'secure');
  await secure.ok(t, ['set', 'KEY'], 'value');
  // remote add refuses such a URL; an edited config holds one anyway.
  const repo = await openRepository(secure.dir);
  repo.config.set('remote.origin.url', server.url);
  await repo.saveConfig();
  const refsBefore = await repo.refs.list();
  for (const args of [['fetch'], ['fetch', '--all'], ['pull'], ['push', 'origin', 'main']]) {
    const result = await secure.cli(args);
    expectOneLine(
      t,
      result,
      new RegExp(`^env-sync: ${REASON}; http://127\\.0\\.0\\.1:\\d+ is plain HTTP\\n$`),
    );
  }
  t.same(server.requests, [], 'the server received no request');
  t.same(await repo.refs.list(), refsBefore, 'no ref moved');
  await peer(root, 'dev-clone').ok(t, ['clone', server.url, 'copy']);
  t.ok(server.requests.length > 0, 'sanity: the server counts the requests of a dev-plaintext-http clone');
});

t.test('clone refuses a secure-peer remote over http:// as soon as its advertisement says so', async (t) => {
  const root = t.testdir();
  const secure = await securePeer(root, 'secure');
  await secure.ok(t, ['set', 'KEY'], 'value');
  const server = await serveInProcess(t, await openRepository(secure.dir));
  const newcomer = peer(root, 'newcomer');
  const result = await newcomer.cli(['clone', server.url, 'copy']);
  expectOneLine(t, result, new RegExp(`^env-sync: ${REASON}; http://127\\.0\\.0\\.1:\\d+ is plain HTTP\\n$`));
  t.same(server.requests, ['POST'], 'one request: the fetch frame that the advertisement answers');
  t.notOk(existsSync(path.join(newcomer.dir, 'copy')), 'no repository was created');
});

t.test('a secure-peer repository still syncs over a local path and a bundle', async (t) => {
  const root = t.testdir();
  const secure = await securePeer(root, 'secure');
  await secure.ok(t, ['set', 'KEY'], 'value');
  const newcomer = peer(root, 'newcomer');
  await newcomer.ok(t, ['clone', secure.dir, 'copy']);
  const copy = peer(newcomer.dir, 'copy');
  await copy.ok(t, ['fetch']);
  const bundle = path.join(root, 'all.bundle');
  await secure.ok(t, ['bundle', 'create', bundle]);
  await copy.ok(t, ['remote', 'add', 'usb', bundle]);
  await copy.ok(t, ['fetch', 'usb']);
});
