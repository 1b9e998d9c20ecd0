import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { idToBytes, type ObjectId } from '../../src/store/object-id.ts';
import { openRepository, type Repository } from '../../src/store/repository.ts';
import { decompressedReader } from '../../src/sync/compression.ts';
import { encodeFrame, type Frame, FrameReader } from '../../src/sync/frames.ts';
import { DEFAULT_SYNC_LIMITS } from '../../src/sync/limits.ts';
import { serveUploadPack } from '../../src/sync/upload-pack.ts';
import { createSyncServer } from '../../src/transport/http-server.ts';
import { buildHistory, initPeer } from './helpers.ts';

// The fetch request (docs/protocol.md#shape-of-an-exchange): a `fetch` frame sent before any advertisement is
// answered with the advertisement, then a pack of every advertised tip the haves lack; a client of another
// group or mode gets the advertisement and an error, and no object.

function fetchFrame(repo: Repository, fields: Record<string, unknown> = {}): Buffer {
  return encodeFrame({
    type: 'fetch',
    protocol: 1,
    group: repo.group,
    mode: repo.mode,
    haves: [],
    ...fields,
  });
}

/** POSTs `body` to the upload-pack endpoint of an in-process server; returns every frame of the answer. */
async function post(t: Test, repo: Repository, body: Buffer): Promise<Frame[]> {
  const server = createSyncServer(repo);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = http.request(`http://127.0.0.1:${port}/env-sync/v1/upload-pack`, { method: 'POST' });
    request.on('response', resolve).on('error', reject);
    request.end(body);
  });
  return readAll(response);
}

/** Every frame of a stream, those after a `pack` frame decompressed; an error frame ends it as `{type: 'error'}`. */
async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Frame[]> {
  let reader = new FrameReader(stream, DEFAULT_SYNC_LIMITS, 'server');
  const frames: Frame[] = [];
  try {
    for (let frame = await reader.next(); frame !== null; frame = await reader.next()) {
      frames.push(frame);
      if (frame.type === 'pack') reader = decompressedReader(reader, DEFAULT_SYNC_LIMITS);
    }
  } catch (error) {
    frames.push({ type: 'error', message: (error as Error).message });
  }
  return frames;
}

t.test('a fetch frame is answered with the advertisement, then every object the haves lack', async (t) => {
  const root = t.testdir();
  const alice = await initPeer(root, 'alice');
  const tip = await buildHistory(alice.dir, 5, 3);
  const repo = await openRepository(alice.dir);
  const frames = await post(t, repo, fetchFrame(repo));
  t.same(
    frames.map((f) => f.type),
    ['advertise', 'pack', 'object', 'object', 'object', 'object', 'object', 'object', 'done'],
    'advertisement, pack, 3 commits and 3 snapshots, summary',
  );
  t.same(frames[0]!.refs, [['refs/heads/main', tip]]);
  const clone = await post(t, repo, fetchFrame(repo, { group: null, mode: null }));
  t.same(
    clone.map((f) => f.type),
    frames.map((f) => f.type),
    'a clone (no group, no mode) is sent the same',
  );

  // The haves name the tip's parent: it, its snapshot and its history stay home.
  const history = await openRepository(alice.dir);
  const first = (await history.objects.readTyped(tip, 'commit')).parents[0]!;
  const again = await post(t, repo, fetchFrame(repo, { haves: [idToBytes(first)] }));
  t.same(
    again.map((f) => f.type),
    ['advertise', 'pack', 'object', 'object', 'done'],
    'only the tip and its snapshot',
  );
  const upToDate = await post(t, repo, fetchFrame(repo, { haves: [idToBytes(tip)] }));
  t.same(
    upToDate.map((f) => f.type),
    ['advertise', 'pack', 'done'],
    'an empty pack when nothing is missing',
  );
});

t.test('a fetch frame of another group or mode gets the advertisement and an error, no object', async (t) => {
  const root = t.testdir();
  const alice = await initPeer(root, 'alice');
  await buildHistory(alice.dir, 5, 3);
  const repo = await openRepository(alice.dir);
  const stranger = await openRepository((await initPeer(root, 'stranger')).dir);
  const otherGroup = await post(t, repo, fetchFrame(repo, { group: stranger.group }));
  t.same(
    otherGroup.map((f) => f.type),
    ['advertise', 'error'],
  );
  t.match(otherGroup[1]!.message, /client belongs to another group; refused/);
  const otherMode = await post(t, repo, fetchFrame(repo, { mode: 'secure-peer' }));
  t.same(
    otherMode.map((f) => f.type),
    ['advertise', 'error'],
  );
  t.match(otherMode[1]!.message, /client is a secure-peer repository and this one is dev-plaintext-http/);
});

t.test('a malformed fetch frame is refused with one error frame', async (t) => {
  const root = t.testdir();
  const alice = await initPeer(root, 'alice');
  await buildHistory(alice.dir, 5, 1);
  const repo = await openRepository(alice.dir);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['haves not a list', { haves: 'all' }, /malformed fetch request \(haves must be a list\)/],
    ['a short have', { haves: [Buffer.alloc(5)] }, /have is not a 32-byte object id/],
    ['a group without a mode', { mode: null }, /malformed fetch request \(mode\)/],
    ['a mode without a group', { group: null }, /malformed fetch request \(group is not an object id\)/],
    ['too many haves', { haves: Array(10_001).fill(Buffer.alloc(32)) }, /more than 10000 haves/],
    ['another protocol', { protocol: 2 }, /protocol version/],
  ];
  for (const [name, fields, error] of cases) {
    const frames = await post(t, repo, fetchFrame(repo, fields));
    t.same(
      frames.map((f) => f.type),
      ['error'],
      `${name}: nothing but an error`,
    );
    t.match(frames[0]!.message, error, name);
  }
});

t.test('over a stream pipe the advertisement already sent is not sent again', async (t) => {
  const root = t.testdir();
  const alice = await initPeer(root, 'alice');
  const tip: ObjectId = await buildHistory(alice.dir, 5, 2);
  const repo = await openRepository(alice.dir);
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const served = serveUploadPack(repo, toServer, toClient, { advertise: true, answer: true });
  toServer.end(fetchFrame(repo));
  const frames = await readAll(toClient);
  t.equal(await served, null);
  t.same(
    frames.map((f) => f.type),
    ['advertise', 'pack', 'object', 'object', 'object', 'object', 'done'],
  );
  t.same(frames[0]!.refs, [['refs/heads/main', tip]]);
});
