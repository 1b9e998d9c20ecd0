import path from 'node:path';
import t from 'tap';
import { initRepository } from '../../src/store/repository.ts';
import { initPeer, peer } from './helpers.ts';

t.test('three peers over local paths: changes travel a → b → c, pull merges, push goes back', async (t) => {
  const root = t.testdir();
  const a = await initPeer(root, 'a');
  await a.commit({ SHARED: 'a1', ONLY_A: 'x' });
  await a.commit({ STAGE: 's1' }, 'staging');
  const b = peer(root, 'b');
  const c = peer(root, 'c');
  await b.ok(t, ['clone', a.dir, b.dir]);
  await c.ok(t, ['clone', b.dir, c.dir]);
  t.same(await c.entries('staging'), { STAGE: 's1' }, 'every environment is cloned');

  await a.commit({ SHARED: 'a2' });
  const pulled = await b.ok(t, ['pull']);
  t.match(pulled.stdout, /origin\/main: [0-9a-f]{12}\.\.[0-9a-f]{12}/);
  t.match(pulled.stdout, /main: .*fast-forward/);
  t.match(pulled.stdout, /staging: already up to date/);
  await c.commit({ ONLY_C: 'c' });
  await c.ok(t, ['pull', 'origin', 'main']);
  t.same(await c.entries(), { SHARED: 'a2', ONLY_A: 'x', ONLY_C: 'c' }, "c merged a's change through b");
  await c.ok(t, ['remote', 'add', 'a', `file://${a.dir}`]);
  await c.ok(t, ['push', 'a', 'main']);
  t.same(
    await a.entries(),
    { SHARED: 'a2', ONLY_A: 'x', ONLY_C: 'c' },
    'c pushed straight to a over file://',
  );
  await c.ok(t, ['remote', 'remove', 'a']);
  t.equal(await c.ref('refs/remotes/a/main'), null, 'removing a remote drops its tracking refs');
  t.equal((await c.ok(t, ['fsck'])).code, 0);
});

t.test('bundles: create, verify, clone from one, fetch from a newer one', async (t) => {
  const root = t.testdir();
  const a = await initPeer(root, 'a');
  await a.commit({ K1: 'v1' });
  await a.commit({ K2: 'v2' });
  const file = path.join(root, 'a.bundle');
  t.match((await a.ok(t, ['bundle', 'create', file])).stdout, /1 environment\(s\), 4 objects/);
  const verified = await a.ok(t, ['bundle', 'verify', file]);
  t.match(verified.stdout, /ok, 4 objects, group [0-9a-f]{12}, mode dev-plaintext-http/);
  t.match(verified.stdout, /this repository can fetch from it/);
  const d = peer(root, 'd');
  await d.ok(t, ['clone', file, d.dir]);
  t.same(await d.entries(), { K1: 'v1', K2: 'v2' });

  await a.commit({ K1: 'v1b' });
  await a.ok(t, ['bundle', 'create', file]);
  const fetched = await d.ok(t, ['fetch']);
  t.match(fetched.stdout, /^main: [0-9a-f]{12}\.\.[0-9a-f]{12}$/m, 'a bundle works as a fetch URL');
  await d.ok(t, ['merge', 'origin/main']);
  t.equal((await d.entries()).K1, 'v1b');
  const push = await d.cli(['push', 'origin']);
  t.match(push.stderr, /is a bundle: it can be fetched from, not pushed to/);

  const bytes = (await import('node:fs')).readFileSync(file);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 20) ^ 0xff, bytes.length - 20);
  (await import('node:fs')).writeFileSync(path.join(root, 'bad.bundle'), bytes);
  const bad = await d.cli(['bundle', 'verify', path.join(root, 'bad.bundle')]);
  t.equal(bad.code, 1, 'a damaged bundle fails verification');
  t.match(bad.stderr, /bundle/);
});

t.test('fetch refuses a repository in another mode or group, pointing at clone', async (t) => {
  const root = t.testdir();
  const a = await initPeer(root, 'a');
  await a.commit({ A: '1' });
  const ssh = peer(root, 'ssh');
  await initRepository(ssh.dir, { mode: 'trusted-owner-ssh' });
  await ssh.ok(t, ['remote', 'add', 'a', a.dir]);
  const mode = await ssh.cli(['fetch', 'a']);
  t.equal(mode.code, 1);
  t.match(
    mode.stderr,
    /is a dev-plaintext-http repository and this one is trusted-owner-ssh; modes are never mixed/,
  );
  const other = await initPeer(root, 'other');
  await other.ok(t, ['remote', 'add', 'a', a.dir]);
  const group = await other.cli(['fetch', 'a']);
  t.match(group.stderr, /use 'env-sync clone <url>' to join that group/);
  t.equal(await other.ref('refs/remotes/a/main'), null);
});
