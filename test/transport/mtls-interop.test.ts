// The secure-peer server seen by standard tools: openssl s_client and curl speak TLS to it as any client
// would. Under CI=true a missing tool fails the test instead of skipping it.

import { spawn } from 'node:child_process';
import path from 'node:path';
import t, { type Test } from 'tap';
import { founder, invite, joinWith, type SecurePeer, servedGroup, serveTls } from './mtls-helpers.ts';

interface Ran {
  readonly code: number | null;
  readonly out: Buffer;
  readonly err: string;
}

function run(command: string, args: readonly string[], input = ''): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: Buffer.concat(out), err }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** True if `tool` runs; false (a skip) when it is missing, except under CI=true, where that fails. */
async function have(t: Test, tool: string): Promise<boolean> {
  const found = await run(tool, ['--version']).then(
    () => true,
    () => false,
  );
  if (found) return true;
  if (process.env.CI === 'true') t.fail(`${tool} is required under CI=true`);
  else t.skip(`${tool} is not installed`, async () => {});
  return false;
}

const certificate = (p: SecurePeer) => [
  '--cert',
  path.join(p.home, 'tls.crt'),
  '--key',
  path.join(p.home, 'tls.key'),
];

t.test(
  'openssl and curl: TLS 1.2 is refused, and only an approved certificate gets the protocol',
  async (t) => {
    const { root, alice, served } = await servedGroup(t, { API_KEY: 'interop-secret' });
    const bob = await joinWith(t, root, 'bob', await invite(t, alice, served, ['--approve']));
    const stranger = await founder(t, root, 'stranger', {});
    const upload = `${served.url}/env-sync/v1/upload-pack`;

    if (await have(t, 'openssl')) {
      const old = await run('openssl', ['s_client', '-connect', served.address, '-tls1_2'], '');
      t.not(old.code, 0, 'openssl s_client -tls1_2 fails the handshake');
      t.match(old.out.toString() + old.err, /alert protocol version|no protocols available|wrong version/i);
      const request = `GET /env-sync/v1/upload-pack HTTP/1.1\r\nHost: peer\r\nConnection: close\r\n\r\n`;
      const bare = await run(
        'openssl',
        ['s_client', '-connect', served.address, '-tls1_3', '-quiet'],
        request,
      );
      const seen = bare.out.toString('latin1');
      t.match(seen, /HTTP\/1\.1 403/, 'a TLS 1.3 client without a certificate is answered 403');
      t.match(seen, /not an approved peer of this group/);
      t.notMatch(seen, /refs\/heads|API_KEY|interop-secret/, 'and is shown nothing of the repository');
    }

    if (await have(t, 'curl')) {
      const approved = await run('curl', ['-sS', '-k', '-D', '-', ...certificate(bob.peer), upload]);
      const answer = approved.out.toString('latin1');
      t.match(answer, /^HTTP\/1\.1 200/, 'curl with an approved certificate gets the protocol');
      t.match(answer, /content-type: application\/x-env-sync-frames/i);
      t.match(answer, /refs\/heads\/main/, 'the advertisement names the branches');
      const unknown = await run('curl', ['-sS', '-k', '-D', '-', ...certificate(stranger), upload]);
      const refused = unknown.out.toString('latin1');
      t.match(refused, /^HTTP\/1\.1 403/, 'curl with an unknown certificate is refused');
      t.match(refused, /not an approved peer of this group/);
      t.notMatch(refused, /refs\/heads|API_KEY/, 'and gets nothing of the repository');
      const tls12 = await run('curl', ['-sS', '-k', '--tls-max', '1.2', ...certificate(bob.peer), upload]);
      t.not(tls12.code, 0, 'curl limited to TLS 1.2 cannot connect');
    }
  },
);

t.test('a server with another certificate at a remote address is refused before any request', async (t) => {
  const { root, alice, served } = await servedGroup(t, { K: 'v' });
  const bob = await joinWith(t, root, 'bob', await invite(t, alice, served, ['--approve']));
  const impostor = await founder(t, root, 'impostor', { K: 'bait' });
  const evil = await serveTls(t, impostor);
  await bob.peer.ok(t, ['remote', 'add', 'evil', evil.url]);
  const before = (await bob.peer.ok(t, ['show-ref'])).stdout;
  for (const args of [
    ['fetch', 'evil'],
    ['push', 'evil'],
  ]) {
    const result = await bob.peer.cli(args);
    t.equal(result.code, 1, `${args[0]} exits 1`);
    t.match(
      result.stderr,
      new RegExp(
        `^env-sync: remote 'evil' presented certificate ${evil.fingerprint}, which is not an approved peer of this group; refused before sending anything\\n$`,
      ),
    );
  }
  t.equal((await bob.peer.ok(t, ['show-ref'])).stdout, before, 'no ref moved');
  await evil.stop();
  t.notMatch(evil.stderr(), /refused|upload-pack|receive-pack/, 'the impostor received no request');

  // remote.<name>.peer pins one peer: another approved peer at that address is refused too.
  await bob.peer.ok(t, ['config', 'set', 'remote.origin.peer', 'AAAAAA-AAAAAA-AAAAAA-AAAAAA-AAAAAA-AAAAAA']);
  const pinned = await bob.peer.cli(['fetch']);
  t.match(
    pinned.stderr,
    /presented certificate [0-9a-f]{64}, not that of AAAAAA-AAAAAA-AAAAAA-AAAAAA-AAAAAA-AAAAAA/,
  );
});
