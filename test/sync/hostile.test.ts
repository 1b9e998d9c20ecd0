import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import { unpack } from 'msgpackr';
import t, { type Test } from 'tap';
import { encodeCanonical } from '../../src/store/encoding.ts';
import { hashObjectBytes, idToBytes, type ObjectId } from '../../src/store/object-id.ts';
import { encodeObject, plainSnapshot } from '../../src/store/objects.ts';
import { openRepository } from '../../src/store/repository.ts';
import { encodeFrame } from '../../src/sync/frames.ts';
import { writePack } from '../../src/sync/pack-writer.ts';
import { objectsToSend } from '../../src/sync/walk.ts';
import { initPeer, type Peer } from './helpers.ts';

// A test double that speaks the protocol: it advertises what a scenario says and answers the POST with
// whatever bytes the scenario makes, valid or not. A fetch asks first (a `fetch` frame): the POST's answer
// then starts with the advertisement, unless the scenario sends its own opening.
type Answer = (response: http.ServerResponse) => void;

interface Scenario {
  readonly refs: [string, ObjectId][];
  readonly answer: Answer;
  /** Replaces the advertisement the answer to a `fetch` frame starts with (null: none at all). */
  readonly opening?: Buffer | null;
}

function objectFrame(bytes: Uint8Array, id: ObjectId = hashObjectBytes(bytes)): Buffer {
  return encodeFrame({ type: 'object', id: idToBytes(id), data: bytes });
}

/** A pack announcing `objects` objects, then `frames` as its (compressed) body. */
function pack(objects: number, ...frames: Buffer[]): Buffer {
  const body = zlib.brotliCompressSync(Buffer.concat(frames));
  return Buffer.concat([encodeFrame({ type: 'pack', objects }), body]);
}

function done(objects: number): Buffer {
  return encodeFrame({ type: 'done', objects, bytes: 0 });
}

function snapshotBytes(value: string): Uint8Array {
  return encodeObject(plainSnapshot([['KEY', value]]));
}

function commitBytes(snapshot: ObjectId): Uint8Array {
  return encodeObject({
    type: 'commit',
    snapshot,
    parents: [],
    author: 'evil',
    time: 1,
    message: 'x',
    members: null,
    signature: new Uint8Array(0),
  });
}

function advertisement(group: ObjectId, refs: [string, ObjectId][]): Buffer {
  return encodeFrame({
    type: 'advertise',
    protocol: 1,
    service: 'upload-pack',
    group,
    groupNonce: null,
    mode: 'dev-plaintext-http',
    head: 'refs/heads/main',
    refs,
    members: null,
    memberForks: [],
    agent: 'hostile/1',
  });
}

async function hostileServer(t: Test, victim: Peer, scenario: () => Scenario): Promise<string> {
  const repo = await openRepository(victim.dir);
  const server = http.createServer((request, response) => {
    const current = scenario();
    response.writeHead(200, { 'content-type': 'application/x-env-sync-frames' });
    const opening = current.opening === undefined ? advertisement(repo.group, current.refs) : current.opening;
    if (request.method === 'GET') {
      request.resume();
      response.end(opening);
      return;
    }
    const body: Buffer[] = [];
    request.on('data', (chunk: Buffer) => body.push(chunk));
    request.on('end', () => {
      const turn = unpack(Buffer.concat(body).subarray(4)) as { type: string };
      if (turn.type === 'fetch' && opening !== null) response.write(opening);
      current.answer(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('a hostile server is cut off with a clear error and no ref moves', async (t) => {
  const root = t.testdir();
  const victim = await initPeer(root, 'victim');
  await victim.commit({ MINE: 'kept' });
  const mainBefore = await victim.ref('refs/heads/main');

  // Each case gets objects of its own: a valid object stored by an earlier case must not help a later one.
  let serial = 0;
  const fresh = () => {
    const snapshot = snapshotBytes(`hostile-${serial++}`);
    const snapshotId = hashObjectBytes(snapshot);
    const commit = commitBytes(snapshotId);
    const refs: [string, ObjectId][] = [['refs/heads/main', hashObjectBytes(commit)]];
    return { snapshot, snapshotId, commit, refs };
  };
  const send =
    (...chunks: Buffer[]): Answer =>
    (response) =>
      response.end(Buffer.concat(chunks));

  // A real pack of a larger history, cut in the middle.
  const source = await initPeer(root, 'source');
  const sourceRepo = await openRepository(source.dir);
  const victimRepo = await openRepository(victim.dir);
  sourceRepo.config.set('core.group', victimRepo.group);
  sourceRepo.config.set('core.groupNonce', victimRepo.groupNonce!);
  await sourceRepo.saveConfig();
  for (let i = 0; i < 40; i++) await source.commit({ [`K${i}`]: randomBytes(200).toString('hex') });
  const sourceTip = (await source.ref('refs/heads/main'))!;
  const packBytes = await new Promise<Buffer>((resolve, reject) => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    sink.on('end', () => resolve(Buffer.concat(chunks)));
    objectsToSend(sourceRepo, [sourceTip], [])
      .then((ids) => writePack(sourceRepo, ids, sink))
      .catch(reject);
  });

  const cases: { name: string; scenario: Scenario; error: RegExp }[] = [
    {
      name: 'an object whose bytes do not match its name',
      scenario: ((o) => ({
        refs: o.refs,
        answer: send(
          pack(2, objectFrame(snapshotBytes('other'), o.snapshotId), objectFrame(o.commit), done(2)),
        ),
      }))(fresh()),
      error: /sent object [0-9a-f]{12} whose bytes hash to [0-9a-f]{12}/,
    },
    {
      name: 'an object nobody asked for',
      scenario: ((o) => ({
        refs: o.refs,
        answer: send(
          pack(
            3,
            objectFrame(o.snapshot),
            objectFrame(snapshotBytes('extra')),
            objectFrame(o.commit),
            done(3),
          ),
        ),
      }))(fresh()),
      error: /sent 1 object\(s\) nobody asked for/,
    },
    {
      name: 'an oversized frame',
      scenario: {
        refs: fresh().refs,
        answer: (response) => {
          const header = Buffer.alloc(4);
          header.writeUInt32BE(0xfffffff0);
          response.end(pack(1, header, randomBytes(1000)));
        },
      },
      error: /sent a 4294967280-byte frame; the limit is \d+ \(sync.maxFrameBytes\)/,
    },
    {
      name: 'a ref to an object it never sends',
      scenario: { refs: fresh().refs, answer: send(pack(0, done(0))) },
      error: /advertised refs\/heads\/main at [0-9a-f]{12} but never sent that object/,
    },
    {
      name: 'a commit before the snapshot it refers to',
      scenario: ((o) => ({
        refs: o.refs,
        answer: send(pack(2, objectFrame(o.commit), objectFrame(o.snapshot), done(2))),
      }))(fresh()),
      error: /sent commit [0-9a-f]{12} before [0-9a-f]{12}, which it refers to/,
    },
    {
      name: 'an object the decoder refuses (keys out of order)',
      scenario: ((o) => {
        const snapshot = encodeCanonical([
          'snapshot',
          1,
          'plain',
          [
            ['B', o.snapshotId],
            ['A', '2'],
          ],
        ]);
        const commit = commitBytes(hashObjectBytes(snapshot));
        return {
          refs: [['refs/heads/main', hashObjectBytes(commit)]] as [string, ObjectId][],
          answer: send(pack(2, objectFrame(snapshot), objectFrame(commit), done(2))),
        };
      })(fresh()),
      error: /sent an invalid object: object [0-9a-f]{12}: keys must be unique and in ascending order/,
    },
    {
      name: 'garbage instead of frames',
      scenario: {
        refs: fresh().refs,
        answer: send(pack(2, Buffer.from([0, 0, 0, 8]), randomBytes(8))),
      },
      error: /sent a frame that is not (valid msgpack|a msgpack map)/,
    },
    {
      name: 'garbage instead of a compressed pack',
      scenario: {
        refs: fresh().refs,
        answer: send(encodeFrame({ type: 'pack', objects: 2 }), randomBytes(300)),
      },
      // Random bytes are now and then the valid start of a brotli stream, which then ends early: that reads
      // as a connection cut, and is reported so.
      error: /corrupt compressed pack|not valid msgpack|frame|ended the pack without its summary/,
    },
    {
      name: 'a connection cut in the middle of the pack',
      scenario: {
        refs: [['refs/heads/main', sourceTip]],
        answer: (response) => {
          response.write(packBytes.subarray(0, Math.floor(packBytes.length / 2)));
          setTimeout(() => response.socket?.destroy(), 50);
        },
      },
      error: /closed the connection mid-answer|connection cut|in the middle of a frame|connection failed/,
    },
    {
      name: 'objects after an advertisement of another group (the fetch frame named ours)',
      scenario: ((o) => ({
        refs: o.refs,
        opening: advertisement(hashObjectBytes(randomBytes(8)), o.refs),
        answer: send(pack(2, objectFrame(o.snapshot), objectFrame(o.commit), done(2))),
      }))(fresh()),
      error: /belongs to group [0-9a-f]{12}, this repository to [0-9a-f]{12}: unrelated repositories/,
    },
    {
      name: 'a pack without the advertisement',
      scenario: ((o) => ({
        refs: o.refs,
        opening: null,
        answer: send(pack(2, objectFrame(o.snapshot), objectFrame(o.commit), done(2))),
      }))(fresh()),
      error: /sent a 'pack' frame; expected 'advertise'/,
    },
    {
      name: 'an error frame',
      scenario: { refs: fresh().refs, answer: send(encodeFrame({ type: 'error', message: 'no such luck' })) },
      error: /remote 'evil': no such luck/,
    },
  ];

  let current: Scenario = cases[0]!.scenario;
  const url = await hostileServer(t, victim, () => current);
  await victim.ok(t, ['remote', 'add', 'evil', url]);
  for (const c of cases) {
    current = c.scenario;
    const result = await victim.cli(['fetch', 'evil']);
    t.equal(result.code, 1, `${c.name}: fetch fails`);
    t.match(result.stderr, c.error, `${c.name}: ${result.stderr.trim()}`);
    t.equal(result.stderr.trim().split('\n').length, 1, `${c.name}: one line`);
    t.equal(await victim.ref('refs/remotes/evil/main'), null, `${c.name}: no ref moved`);
  }
  t.equal(await victim.ref('refs/heads/main'), mainBefore);
  for (const c of cases.slice(-3, -1)) {
    for (const [, id] of c.scenario.refs)
      t.notOk(await victimRepo.objects.has(id), `${c.name}: the objects sent were not stored`);
  }
  t.notMatch((await victim.ok(t, ['fsck'])).stdout, /^error/m, 'fsck is clean after every attack');

  // The same real pack, uncut, is accepted: the cut was the only problem.
  current = { refs: [['refs/heads/main', sourceTip]], answer: send(packBytes) };
  await victim.ok(t, ['fetch', 'evil']);
  t.equal(await victim.ref('refs/remotes/evil/main'), sourceTip);
});

t.test(
  'a server that drips bytes is abandoned by the low-speed window and by the overall deadline',
  async (t) => {
    const root = t.testdir();
    const victim = await initPeer(root, 'victim');
    const repo = await openRepository(victim.dir);
    // The header of a 1 MiB frame, then its body a byte (or 64) per interval, for ever.
    let interval = 0;
    const url = await hostileServer(t, victim, () => ({
      refs: [],
      answer: (response) => {
        const header = Buffer.alloc(4);
        header.writeUInt32BE(1 << 20);
        response.write(header);
        const drip = setInterval(() => {
          if (response.destroyed) clearInterval(drip);
          else response.write(Buffer.alloc(interval < 100 ? 1 : 64));
        }, interval);
        response.on('close', () => clearInterval(drip));
      },
    }));
    await victim.ok(t, ['remote', 'add', 'slow', url]);
    // Scaled down from the defaults (1 KiB per 30 s, idle 30 s): 1 KiB per 2 s, idle 1 s.
    for (const [key, value] of [
      ['sync.lowSpeedBytes', '1024'],
      ['sync.lowSpeedTime', '2'],
      ['sync.idleTimeout', '1'],
    ] as const)
      await victim.ok(t, ['config', 'set', key, value]);
    interval = 200;
    const dripping = await victim.cli(['fetch', 'slow']);
    t.equal(dripping.code, 1);
    t.match(
      dripping.stderr,
      /^env-sync: remote 'slow' sent \d+ bytes in 2 s, less than 1024 per 2 s \(sync\.lowSpeedBytes, sync\.lowSpeedTime\)\n$/,
    );

    // Fast enough for the window, but never ending: the overall deadline.
    await victim.ok(t, ['config', 'set', 'sync.lowSpeedBytes', '64']);
    await victim.ok(t, ['config', 'set', 'sync.timeout', '3']);
    interval = 100;
    const endless = await victim.cli(['fetch', 'slow']);
    t.equal(endless.code, 1);
    t.match(endless.stderr, /^env-sync: remote 'slow' did not finish within 3 s \(sync\.timeout\)\n$/);
    t.equal(await repo.refs.read('refs/remotes/slow/main'), null, 'no ref moved');
  },
);
