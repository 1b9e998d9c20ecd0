// Commands write straight to file descriptors 1 and 2 (src/cli/stdio.ts) and make Node's stdio streams only
// when something else is asked of them. A descriptor that refuses a write (a non-blocking socket whose buffer
// is full) must still get every byte, in order.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { processStdio } from '../../src/cli/stdio.ts';
import { BIN, runCli } from '../helpers/cli.ts';

t.test('output larger than a full non-blocking socket arrives whole and in order', async (t) => {
  const dir = path.join(t.testdir(), 'repo');
  mkdirSync(dir);
  const home = path.join(path.dirname(dir), 'home');
  const lines = Array.from(
    { length: 4000 },
    (_, i) => `KEY_${i}=${String(i).padStart(6, '0')}${'v'.repeat(300)}`,
  );
  writeFileSync(path.join(dir, '.env'), `${lines.join('\n')}\n`);
  t.equal((await runCli(['init', '--mode', 'trusted-owner-ssh'], { cwd: dir, home })).code, 0);
  t.equal((await runCli(['import'], { cwd: dir, home })).code, 0);
  const expected = await runCli(['export', '--format', 'json'], { cwd: dir, home });
  t.equal(expected.code, 0);
  t.ok(expected.stdoutBytes.length > 1_000_000, 'more than any socket buffer holds');

  // The child's stdout is a Unix socket Node made non-blocking (a TCP socket on loopback may buffer it all);
  // nothing reads it until the child has filled it.
  const server = createServer();
  const socketDir = mkdtempSync(path.join(tmpdir(), 'env-sync-')); // a socket path must be short
  t.teardown(() => rmSync(socketDir, { recursive: true, force: true }));
  server.listen(path.join(socketDir, 'stdout.sock'));
  await once(server, 'listening');
  t.teardown(() => server.close());
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect(server.address() as string);
  await once(client, 'connect');
  const [reader] = await accepted;
  reader.pause();
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, BIN, 'export', '--format', 'json'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: home, ENV_SYNC_HOME: home },
    stdio: ['ignore', client, 'pipe'],
  });
  client.destroy();
  const closed = once(child, 'close') as Promise<[number | null]>;
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  await sleep(500);
  t.equal(child.exitCode, null, 'the child waits for its output to be read');
  const received: Buffer[] = [];
  const ended = once(reader, 'end');
  reader.on('data', (chunk: Buffer) => received.push(chunk));
  reader.resume();
  const [code] = await closed;
  await ended;
  t.equal(code, 0, Buffer.concat(stderr).toString());
  t.equal(Buffer.compare(Buffer.concat(received), expected.stdoutBytes), 0, 'the same bytes, in order');
});

t.test('the stand-ins make the real stream only for what is not a write', async (t) => {
  const stdio = processStdio();
  t.equal(typeof stdio.stdout.write, 'function');
  t.equal(stdio.stderr.writable, process.stderr.writable, 'other properties come from the real stream');
  t.ok('cork' in stdio.stdout, '`in` sees the real stream too');
});
