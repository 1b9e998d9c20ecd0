// Host keys over a real sshd, as OpenSSH checks them: unknown hosts refused with their fingerprint unless
// accepted, changed and revoked keys always refused, hashed known_hosts entries read; nothing written on refusal.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { sshdWithProject, sshSkip, startSshd } from '../helpers/sshd.ts';
import { initPeer, peer } from '../sync/helpers.ts';

const skip = sshSkip(t);

/** A public key line of a fresh ed25519 key, standing for another host's key. */
function otherHostKey(dir: string): string {
  const file = path.join(dir, 'other_host_key');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

t.test('an unknown host is refused with its fingerprint, then accepted on request', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' });
  const root = t.testdir();
  const laptop = peer(root, 'laptop');
  const { sshDir } = await sshd.installClient(laptop.home, { knownHosts: false });
  const url = `ssh://127.0.0.1:${sshd.port}${origin.dir}`;
  const refused = await laptop.cli(sshd.cloneArgs(url, laptop.dir));
  t.equal(refused.code, 1);
  t.equal(
    refused.stderr,
    `env-sync: the host key of [127.0.0.1]:${sshd.port} is unknown (ssh-ed25519 ${sshd.hostKeyFingerprint}); if that is the right fingerprint, accept it with --accept-new-host-key or 'StrictHostKeyChecking accept-new' in ~/.ssh/config\n`,
  );
  t.notOk(existsSync(path.join(laptop.dir, '.env-sync')), 'a refused clone leaves no repository');
  t.notOk(existsSync(path.join(sshDir, 'known_hosts')), 'known_hosts is not written');

  await laptop.ok(t, [...sshd.cloneArgs(url, laptop.dir), '--accept-new-host-key']);
  t.equal(
    readFileSync(path.join(sshDir, 'known_hosts'), 'utf8'),
    `${sshd.knownHostsLine}\n`,
    'the key is recorded',
  );
  await origin.commit({ K: 'w' });
  await laptop.ok(t, ['fetch']);

  const desk = peer(root, 'desk');
  const desktop = await sshd.installClient(desk.home, { knownHosts: false });
  writeFileSync(path.join(desktop.sshDir, 'config'), 'Host *\n  StrictHostKeyChecking accept-new\n');
  await desk.ok(t, sshd.cloneArgs(url, desk.dir));
  t.match(
    readFileSync(path.join(desktop.sshDir, 'known_hosts'), 'utf8'),
    sshd.knownHostsLine,
    'accept-new in ssh config',
  );
});

t.test('a changed host key is refused with both fingerprints and never replaced', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' });
  const root = t.testdir();
  const laptop = peer(root, 'laptop');
  const { sshDir } = await sshd.installClient(laptop.home);
  const other = otherHostKey(root);
  const knownHosts = `[127.0.0.1]:${sshd.port} ${other}\n`;
  writeFileSync(path.join(sshDir, 'known_hosts'), knownHosts);
  const otherFingerprint = spawnSync(
    'ssh-keygen',
    ['-l', '-E', 'sha256', '-f', path.join(root, 'other_host_key.pub')],
    {
      encoding: 'utf8',
    },
  ).stdout.split(/\s+/)[1]!;
  const refused = await laptop.cli([
    ...sshd.cloneArgs(`sshd-test:project`, laptop.dir),
    '--accept-new-host-key',
  ]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /^env-sync: the host key of \[127\.0\.0\.1\]:\d+ has CHANGED: /);
  t.ok(
    refused.stderr.includes(`it offers ssh-ed25519 ${sshd.hostKeyFingerprint}`),
    'the offered fingerprint',
  );
  t.ok(refused.stderr.includes(`known_hosts has ${otherFingerprint}`), 'the recorded fingerprint');
  t.equal(readFileSync(path.join(sshDir, 'known_hosts'), 'utf8'), knownHosts, 'known_hosts is unchanged');
  t.notOk(existsSync(laptop.dir) && existsSync(path.join(laptop.dir, '.env-sync')));
});

t.test('a revoked host key is refused even when it is also listed as known', { skip }, async (t) => {
  const sshd = await startSshd(t);
  await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  const laptop = peer(t.testdir(), 'laptop');
  const { sshDir } = await sshd.installClient(laptop.home);
  const hostKey = sshd.knownHostsLine.split(' ').slice(1).join(' ');
  writeFileSync(path.join(sshDir, 'known_hosts'), `@revoked * ${hostKey}\n${sshd.knownHostsLine}\n`);
  const refused = await laptop.cli(sshd.cloneArgs('sshd-test:project', laptop.dir));
  t.equal(refused.code, 1);
  t.equal(
    refused.stderr,
    `env-sync: the host key of [127.0.0.1]:${sshd.port} (ssh-ed25519 ${sshd.hostKeyFingerprint}) is revoked in known_hosts; refusing\n`,
  );
});

t.test('hashed known_hosts entries and UserKnownHostsFile are honoured', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' });
  const laptop = peer(t.testdir(), 'laptop');
  const { sshDir } = await sshd.installClient(laptop.home, { knownHosts: false });
  const file = path.join(sshDir, 'hosts-elsewhere');
  writeFileSync(file, `${sshd.knownHostsLine}\n`);
  t.equal(spawnSync('ssh-keygen', ['-H', '-f', file]).status, 0);
  t.match(readFileSync(file, 'utf8'), /^\|1\|/, 'the name is hashed');
  writeFileSync(
    path.join(sshDir, 'config'),
    `Host sshd-test\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  UserKnownHostsFile ${file}\n`,
  );
  await laptop.ok(t, sshd.cloneArgs('sshd-test:project', laptop.dir));
  t.same(await laptop.entries(), { K: 'v' });
});

t.test('a host known by its ecdsa or rsa key is asked for that key type', { skip }, async (t) => {
  const sshd = await startSshd(t, ['ed25519', 'ecdsa', 'rsa']);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' });
  const root = t.testdir();
  for (const type of ['ecdsa', 'rsa']) {
    const machine = peer(root, type);
    const { sshDir } = await sshd.installClient(machine.home);
    writeFileSync(path.join(sshDir, 'known_hosts'), `${sshd.hostKeys[type]!.line}\n`);
    await machine.ok(t, sshd.cloneArgs('sshd-test:project', machine.dir));
    t.same(await machine.entries(), { K: 'v' }, `only the ${type} key is known`);
  }
});

t.test(
  'a host known_hosts trusts only through @cert-authority is refused, even with --accept-new-host-key',
  { skip },
  async (t) => {
    const sshd = await sshdWithProject(t);
    const laptop = peer(t.testdir(), 'laptop');
    const { sshDir } = await sshd.installClient(laptop.home, { knownHosts: false });
    const knownHosts = path.join(sshDir, 'known_hosts');
    writeFileSync(knownHosts, `@cert-authority [127.0.0.1]:* ${otherHostKey(sshDir)}\n`);
    const before = readFileSync(knownHosts, 'utf8');
    const url = `ssh://127.0.0.1:${sshd.port}${path.join(sshd.remoteHome, 'project')}`;
    const refused = await laptop.cli([...sshd.cloneArgs(url, laptop.dir), '--accept-new-host-key']);
    t.equal(refused.code, 1);
    t.equal(
      refused.stderr,
      `env-sync: [127.0.0.1]:${sshd.port} is trusted through a @cert-authority line of known_hosts, and the built-in client cannot check host certificates; refusing (use the system's ssh: ENV_SYNC_SSH_COMMAND=ssh)\n`,
    );
    t.equal(readFileSync(knownHosts, 'utf8'), before, 'known_hosts is not written');
    t.notOk(existsSync(path.join(laptop.dir, '.env-sync')), 'a refused clone leaves no repository');
  },
);
