// known_hosts lines as OpenSSH reads them: patterns, negation, hashed names, ports, several keys, @revoked.

import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import {
  appendKnownHost,
  fingerprint,
  hostKeyStatus,
  knownHostName,
  knownKeyTypes,
  readKnownHosts,
} from '../../src/transport/ssh-known-hosts.ts';

/** A wire-format key blob of `type` with a recognizable body. */
function blob(type: string, body: string): Buffer {
  const name = Buffer.from(type);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, Buffer.from(body)]);
}

const A = blob('ssh-ed25519', 'key-a');
const B = blob('ssh-ed25519', 'key-b');
const R = blob('ecdsa-sha2-nistp256', 'key-r');

function hashed(name: string): string {
  const salt = Buffer.from('0123456789abcdefghij');
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

t.test('host names, ports, wildcards, negation and hashed names select entries', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'known_hosts');
  writeFileSync(
    file,
    [
      '# comment',
      `*.example,!bad.example ssh-ed25519 ${A.toString('base64')}`,
      `[box]:2222 ssh-ed25519 ${B.toString('base64')}`,
      `${hashed('hidden')} ssh-ed25519 ${A.toString('base64')}`,
      `hidden ecdsa-sha2-nistp256 ${R.toString('base64')}`,
      '@cert-authority *.corp ssh-ed25519 AAAA',
      '',
    ].join('\n'),
  );
  const entries = await readKnownHosts([file, path.join(dir, 'absent')]);
  t.equal(hostKeyStatus(entries, 'db.example', A).status, 'known', 'wildcard');
  t.equal(hostKeyStatus(entries, 'bad.example', A).status, 'unknown', 'negated');
  t.equal(hostKeyStatus(entries, knownHostName('box', 2222), B).status, 'known', '[host]:port');
  t.equal(hostKeyStatus(entries, knownHostName('box', 22), B).status, 'unknown', 'port 22 is the bare name');
  t.equal(hostKeyStatus(entries, 'hidden', A).status, 'known', 'hashed name');
  t.equal(hostKeyStatus(entries, 'hidden', R).status, 'known', 'a second key of the same host');
  t.same(hostKeyStatus(entries, 'hidden', B), {
    status: 'changed',
    knownFingerprints: [fingerprint(A), fingerprint(R)],
  });
});

t.test('a revoked key is refused even if another line lists it as known', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'known_hosts');
  writeFileSync(
    file,
    `@revoked * ssh-ed25519 ${A.toString('base64')}\nbox ssh-ed25519 ${A.toString('base64')}\n`,
  );
  const entries = await readKnownHosts([file]);
  t.equal(hostKeyStatus(entries, 'box', A).status, 'revoked');
});

t.test('a new host is appended on its own line to a file created 0600', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'ssh', 'known_hosts');
  await appendKnownHost(file, '[box]:2222', A);
  writeFileSync(file, `${readFileSync(file, 'utf8')}no-newline ssh-ed25519 ${B.toString('base64')}`);
  await appendKnownHost(file, 'other', B);
  t.equal(
    readFileSync(file, 'utf8'),
    `[box]:2222 ssh-ed25519 ${A.toString('base64')}\nno-newline ssh-ed25519 ${B.toString('base64')}\nother ssh-ed25519 ${B.toString('base64')}\n`,
  );
  t.equal((await import('node:fs')).statSync(file).mode & 0o777, 0o600);
});

t.test('a host covered only by a @cert-authority line is told apart from an unknown one', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'known_hosts');
  writeFileSync(
    file,
    `@cert-authority *.example.org ssh-ed25519 ${A.toString('base64')}\nplain.example.org ssh-ed25519 ${B.toString('base64')}\n`,
  );
  const entries = await readKnownHosts([file]);
  t.equal(hostKeyStatus(entries, 'box.example.org', B).status, 'cert-authority');
  t.equal(hostKeyStatus(entries, 'box.example.org', A).status, 'cert-authority', 'the CA key is no host key');
  t.equal(hostKeyStatus(entries, 'plain.example.org', B).status, 'known', 'a host key on record decides');
  t.equal(hostKeyStatus(entries, 'other.net', B).status, 'unknown');
  t.same(knownKeyTypes(entries, 'box.example.org'), [], 'a CA line names no host key type');
});
