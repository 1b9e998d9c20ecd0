import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { hashObjectBytes } from '../../src/store/object-id.ts';
import { encodeObject, plainSnapshot } from '../../src/store/objects.ts';
import { openRepository } from '../../src/store/repository.ts';
import { type CliRepo, expectRefused, makeCliRepo } from '../store/cli-repo.ts';
import { snapshotTree } from '../store/tree-snapshot.ts';

// Not created here: the first command that needs an identity creates it, private.
const home = path.join(t.testdir(), 'home');
// A value that must never appear in output unless --show-values is given.
const CANARY = 'canary-4f1c9e0b7d2a';
const snapshotBytes = Buffer.from(
  encodeObject(
    plainSnapshot([
      ['DB_URL', 'postgres://db/app'],
      ['API_KEY', CANARY],
    ]),
  ),
);
const snapshotId = hashObjectBytes(snapshotBytes);

async function withSnapshot(t: Test): Promise<CliRepo> {
  const repo = await makeCliRepo(t, home);
  await (await openRepository(repo.cwd)).objects.writeRaw(snapshotBytes, snapshotId);
  return repo;
}

t.test('hash-object prints the SHA-256 of canonical bytes and stores them only with -w', async (t) => {
  const repo = await makeCliRepo(t, home);
  const file = path.join(repo.cwd, 'object.bin');
  writeFileSync(file, snapshotBytes);
  const before = snapshotTree(repo.dir);
  t.equal(await repo.ok(t, ['hash-object', 'object.bin']), `${snapshotId}\n`);
  t.equal(await repo.ok(t, ['hash-object', '--stdin'], { input: snapshotBytes }), `${snapshotId}\n`);
  t.same(snapshotTree(repo.dir), before, 'without -w nothing is stored');
  t.equal(await repo.ok(t, ['hash-object', '-w', 'object.bin']), `${snapshotId}\n`);
  const stored = path.join(repo.dir, 'objects', snapshotId.slice(0, 2), snapshotId.slice(2));
  t.same(readFileSync(stored), Buffer.from(snapshotBytes));
});

t.test(
  'round trips: cat-file --raw | hash-object --stdin, and --json --show-values | hash-object --json',
  async (t) => {
    const repo = await withSnapshot(t);
    const commit = (await repo.ok(t, ['commit-tree', snapshotId, '-m', 'first'])).trim();
    await expectRefused(t, repo, ['cat-file', '--raw', snapshotId], {
      exitCode: 2,
      message: /is a plaintext snapshot: its raw bytes hold the values; add --show-values to write them\n$/,
    });
    for (const id of [snapshotId, commit]) {
      const raw = await repo.run(['cat-file', '--raw', '--show-values', id]);
      t.equal(raw.code, 0);
      t.equal(hashObjectBytes(raw.stdoutBytes), id, 'the raw bytes are exactly the stored object');
      t.equal(await repo.ok(t, ['hash-object', '--stdin'], { input: raw.stdoutBytes }), `${id}\n`);
      const json = await repo.ok(t, ['cat-file', '--json', '--show-values', id]);
      t.equal(await repo.ok(t, ['hash-object', '--json', '--stdin'], { input: json }), `${id}\n`);
    }
  },
);

t.test('an age snapshot round-trips through its JSON form, recipients included', async (t) => {
  const repo = await makeCliRepo(t, home);
  const doc = {
    type: 'snapshot',
    version: 1,
    encoding: 'age',
    keys: ['A', 'B'],
    recipients: [`age1${'q'.repeat(58)}`],
    payload: Buffer.from('age-encryption.org/v1 ...').toString('base64'),
  };
  const id = (
    await repo.ok(t, ['hash-object', '-w', '--json', '--stdin'], { input: JSON.stringify(doc) })
  ).trim();
  const json = await repo.ok(t, ['cat-file', '--json', id]);
  t.same(JSON.parse(json), doc);
  t.equal(await repo.ok(t, ['hash-object', '--json', '--stdin'], { input: json }), `${id}\n`);
});

t.test('cat-file -t, -s and -p; values are masked unless --show-values', async (t) => {
  const repo = await withSnapshot(t);
  const [type, size, pretty, shown, json] = await Promise.all([
    repo.ok(t, ['cat-file', '-t', snapshotId]),
    repo.ok(t, ['cat-file', '-s', snapshotId]),
    repo.ok(t, ['cat-file', '-p', snapshotId]),
    repo.ok(t, ['cat-file', '-p', '--show-values', snapshotId]),
    repo.ok(t, ['cat-file', '--json', snapshotId.slice(0, 8)]),
  ]);
  t.equal(type, 'snapshot\n');
  t.equal(size, `${snapshotBytes.length}\n`);
  t.equal(pretty, 'encoding plain\n\nAPI_KEY\t********\nDB_URL\t********\n');
  t.equal(shown, `encoding plain\n\nAPI_KEY\t"${CANARY}"\nDB_URL\t"postgres://db/app"\n`);
  t.same(JSON.parse(json), {
    type: 'snapshot',
    version: 1,
    encoding: 'plain',
    masked: true,
    entries: { API_KEY: null, DB_URL: null },
  });
  for (const output of [pretty, json]) t.notMatch(output, CANARY, 'the value never appears masked output');
});

t.test('masked JSON cannot be hashed back', async (t) => {
  const repo = await withSnapshot(t);
  const masked = await repo.ok(t, ['cat-file', '--json', snapshotId]);
  await expectRefused(t, repo, ['hash-object', '-w', '--json', '--stdin'], {
    input: masked,
    message:
      /^env-sync: object JSON: values are masked; use cat-file --json --show-values to get a hashable form\n$/,
  });
});

t.test('ls-tree lists key names of a snapshot or a commit, never values', async (t) => {
  const repo = await withSnapshot(t);
  const commit = await (await openRepository(repo.cwd)).objects.write({
    type: 'commit',
    snapshot: snapshotId,
    parents: [],
    author: 'p',
    time: 1,
    message: 'm',
    members: null,
    signature: new Uint8Array(0),
  });
  t.equal(await repo.ok(t, ['ls-tree', snapshotId]), 'API_KEY\nDB_URL\n');
  t.equal(await repo.ok(t, ['ls-tree', commit]), 'API_KEY\nDB_URL\n');
});

t.test('commit-tree writes a commit on a snapshot with parents and moves no ref', async (t) => {
  const repo = await withSnapshot(t);
  const first = (await repo.ok(t, ['commit-tree', snapshotId, '-m', 'first'])).trim();
  const second = (await repo.ok(t, ['commit-tree', snapshotId, '-p', first, '-m', 'second\n\nbody'])).trim();
  const pretty = await repo.ok(t, ['cat-file', '-p', second]);
  t.match(
    pretty,
    new RegExp(`^snapshot ${snapshotId}\nparent ${first}\nauthor \\S+ \\d+\n\nsecond\n\nbody\n$`),
  );
  t.equal((await repo.run(['show-ref'])).code, 1, 'no ref was created');
  await expectRefused(t, repo, ['commit-tree', first, '-m', 'x'], {
    message: new RegExp(`^env-sync: object ${first.slice(0, 12)} is a commit, expected a snapshot\n$`),
  });
  await expectRefused(t, repo, ['commit-tree', snapshotId, '-p', snapshotId, '-m', 'x'], {
    message: /is a snapshot, expected a commit/,
  });
  await expectRefused(t, repo, ['commit-tree', snapshotId, '-p', first, '-p', first, '-m', 'x'], {
    exitCode: 2,
    message: /parent .* given twice/,
  });
  // A missing required option: clipanion reports it as an unknown command (src/cli/main.ts); exit 2 all the same.
  await expectRefused(t, repo, ['commit-tree', snapshotId], {
    exitCode: 2,
    message: /^env-sync: /,
  });
});

t.test('hash-object refuses invalid, non-canonical and oversized input and stores nothing', async (t) => {
  const repo = await makeCliRepo(t, home);
  // [0x94 …] → [0xdc 0x00 0x04 …]: the same array with a 16-bit length, valid msgpack but not canonical.
  const nonCanonical = Buffer.concat([
    Buffer.from([0xdc, 0x00, 0x04]),
    Buffer.from(snapshotBytes).subarray(1),
  ]);
  const cases: [string[], string | Buffer, RegExp][] = [
    [
      ['hash-object', '-w', '--stdin'],
      nonCanonical,
      /^env-sync: standard input: encoding is not canonical msgpack\n$/,
    ],
    [['hash-object', '--stdin'], Buffer.from([0xc1]), /^env-sync: standard input: /],
    [
      ['hash-object', '-w', '--stdin'],
      Buffer.from([0x92, 0xa4, 0x74, 0x72, 0x65, 0x65, 0x01]),
      /unknown object type/,
    ],
    [['hash-object', '-w', '--json', '--stdin'], '{"type":', /^env-sync: standard input: not valid JSON\n$/],
    [
      ['hash-object', '-w', '--json', '--stdin'],
      '{"type":"snapshot","version":1,"encoding":"plain","entries":{"1X":"v"}}',
      /key #1 has an invalid name/,
    ],
  ];
  for (const [args, input, message] of cases) await expectRefused(t, repo, args, { input, message });
  await expectRefused(t, repo, ['hash-object', '-w', '--stdin'], {
    input: Buffer.alloc(32 * 1024 * 1024 + 1),
    message: /^env-sync: standard input exceeds 33554432 bytes\n$/,
  });
  await expectRefused(t, repo, ['hash-object', '-w', 'no-such-file'], {
    message: /cannot read 'no-such-file'/,
  });
  await expectRefused(t, repo, ['hash-object', '--stdin', 'file'], {
    exitCode: 2,
    message: /exactly one of --stdin or <file>/,
  });
});

t.test('secure-peer refuses to store a plaintext snapshot', async (t) => {
  const repo = await makeCliRepo(t, home, 'secure-peer');
  await expectRefused(t, repo, ['hash-object', '-w', '--stdin'], {
    input: snapshotBytes,
    message: /^env-sync: secure-peer stores only encrypted snapshots; refusing a plaintext one\n$/,
  });
});

t.test('cat-file refuses bad usage, unknown revisions and corrupt objects with one line', async (t) => {
  const repo = await withSnapshot(t);
  await expectRefused(t, repo, ['cat-file', '-t', '-p', snapshotId], {
    exitCode: 2,
    message: /give exactly one of -t, -s, -p/,
  });
  await expectRefused(t, repo, ['cat-file', '-t', 'nope'], {
    message: /^env-sync: unknown revision 'nope'\n$/,
  });
  await expectRefused(t, repo, ['cat-file', '-t', 'HEAD'], { message: /unknown revision 'HEAD'/ });
  await expectRefused(t, repo, ['ls-tree', 'e'.repeat(64)], {
    message: /^env-sync: object eeeeeeeeeeee is missing\n$/,
  });
  const file = path.join(repo.dir, 'objects', snapshotId.slice(0, 2), snapshotId.slice(2));
  const bytes = readFileSync(file);
  bytes[5]! ^= 0x20;
  writeFileSync(file, bytes);
  for (const mode of ['-t', '--raw']) {
    await expectRefused(t, repo, ['cat-file', mode, snapshotId], {
      message: new RegExp(
        `^env-sync: object ${snapshotId.slice(0, 12)} is corrupt: its bytes hash to [0-9a-f]{12}\n$`,
      ),
    });
  }
});
