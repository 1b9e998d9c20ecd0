// A clone is all or nothing: it is built in a hidden directory beside its target and renamed onto it when
// complete. A failure or an interrupt leaves no directory; the leftover of a killed clone is removed by the
// next clone beside it.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { BIN } from '../helpers/cli.ts';
import { initPeer, peer } from './helpers.ts';

/** What `root` holds besides the named entries. */
function entries(root: string, except: string[]): string[] {
  return readdirSync(root).filter((name) => !except.includes(name));
}

t.test('a clone that fails leaves neither the target nor its hidden build directory', async (t) => {
  const root = t.testdir();
  const bundle = path.join(root, 'broken.bundle');
  writeFileSync(bundle, 'not a bundle at all');
  const me = peer(root, 'me');
  const failed = await me.cli(['clone', bundle, path.join(root, 'target')]);
  t.equal(failed.code, 1);
  t.match(failed.stderr, /^env-sync: /);
  t.same(entries(root, ['me', '.home-me', 'broken.bundle']), [], 'nothing was left');
});

t.test('Ctrl-C during a clone removes what it built and exits 130', async (t) => {
  const root = t.testdir();
  // A server that accepts and never answers: the clone waits inside its exchange.
  const silent = net.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => silent.close());
  const port = (silent.address() as net.AddressInfo).port;
  const home = path.join(root, '.home');
  const child = spawn(
    'env',
    ['-u', 'NODE_OPTIONS', process.execPath, BIN, 'clone', `http://127.0.0.1:${port}`, 'target'],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: home, ENV_SYNC_HOME: home },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  // Interrupt once the hidden build directory exists: the clone is under way.
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (entries(root, ['.home']).some((name) => name.startsWith('.target.clone-'))) {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 130);
  t.same(entries(root, ['.home']), [], 'no target, no leftover');
});

t.test('the leftover of a killed clone is removed by the next clone to the same target', async (t) => {
  const root = t.testdir();
  const source = await initPeer(root, 'source');
  await source.commit({ KEY: 'value' });
  // What `kill -9` leaves: the hidden directory of a process that no longer runs.
  const dead = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['-e', '0']);
    child.on('exit', () => resolve(child.pid!));
  });
  const leftover = path.join(root, `.target.clone-${dead}-0a1b2c3d`);
  mkdirSync(path.join(leftover, '.env-sync'), { recursive: true });
  // One of a clone still running (this process) is left alone.
  const running = path.join(root, `.target.clone-${process.pid}-0a1b2c3d`);
  mkdirSync(running);
  const me = peer(root, 'me');
  const cloned = await me.ok(t, ['clone', source.dir, path.join(root, 'target')]);
  t.match(cloned.stderr, `env-sync: removed '${leftover}', left by an interrupted clone`);
  t.notOk(existsSync(leftover));
  t.ok(existsSync(running), "a live clone's directory is not touched");
  t.same(await peer(root, 'target').entries(), { KEY: 'value' }, 'the clone is complete');
  t.match((await peer(root, 'target').ok(t, ['fsck'])).stdout, /^ok: /m);
});

t.test(
  'an empty target directory is replaced; a non-empty one is refused before anything is made',
  async (t) => {
    const root = t.testdir();
    const source = await initPeer(root, 'source');
    await source.commit({ KEY: 'value' });
    const me = peer(root, 'me');
    mkdirSync(path.join(root, 'empty'));
    await me.ok(t, ['clone', source.dir, path.join(root, 'empty')]);
    t.ok(existsSync(path.join(root, 'empty', '.env-sync', 'config')));
    mkdirSync(path.join(root, 'full'));
    writeFileSync(path.join(root, 'full', 'keep.txt'), 'mine');
    const refused = await me.cli(['clone', source.dir, path.join(root, 'full')]);
    t.equal(refused.code, 1);
    t.match(refused.stderr, /already exists and is not empty/);
    t.same(readdirSync(path.join(root, 'full')), ['keep.txt']);
    t.notOk(
      entries(root, []).some((name) => name.includes('.clone-')),
      'no build directory either',
    );
  },
);
