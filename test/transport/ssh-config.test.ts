// ~/.ssh/config as the built-in client applies it: first value wins, Host patterns with wildcards and negation,
// the options it honours, and OpenSSH's defaults.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { sshHostSettings } from '../../src/transport/ssh-config.ts';

function homeWithConfig(t: Test, text: string): string {
  const home = t.testdir();
  mkdirSync(path.join(home, '.ssh'));
  writeFileSync(path.join(home, '.ssh', 'config'), text);
  return home;
}

const target = (host: string, extra: { user?: string; port?: number } = {}) => ({
  user: extra.user,
  host,
  port: extra.port,
  path: 'app',
});

t.test('a Host alias gives HostName, Port, User, identity files and the other options', async (t) => {
  const home = homeWithConfig(
    t,
    [
      'Host desk !desk-old *.lan',
      '  HostName %h.example.net',
      '  Port 2222',
      '  User owner',
      '  IdentityFile ~/.ssh/first',
      '  IdentityFile %d/keys/%r-second',
      '  IdentitiesOnly yes',
      '  ConnectTimeout 7',
      '  StrictHostKeyChecking accept-new',
      '  UserKnownHostsFile ~/.ssh/hosts-a ~/.ssh/hosts-b',
      'Host *',
      '  Port 22',
      '  User fallback',
      '',
    ].join('\n'),
  );
  t.same(await sshHostSettings(target('desk'), home), {
    hostName: 'desk.example.net',
    port: 2222,
    user: 'owner',
    identityFiles: [path.join(home, '.ssh/first'), path.join(home, 'keys/owner-second')],
    identitiesOnly: true,
    connectTimeoutSeconds: 7,
    strictHostKeyChecking: 'accept-new',
    knownHostsFiles: [path.join(home, '.ssh/hosts-a'), path.join(home, '.ssh/hosts-b')],
  });
  const other = await sshHostSettings(target('desk-old'), home);
  t.equal(other.user, 'fallback', 'a negated pattern does not match');
  t.equal(other.hostName, 'desk-old');
  t.equal(
    (await sshHostSettings(target('nas.lan', { user: 'me', port: 2200 }), home)).port,
    2200,
    'the URL wins',
  );
});

t.test('without a config: the host as written, port 22, the local user and the default files', async (t) => {
  const home = t.testdir();
  t.same(await sshHostSettings(target('box'), home), {
    hostName: 'box',
    port: 22,
    user: os.userInfo().username,
    identityFiles: ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => path.join(home, '.ssh', name)),
    identitiesOnly: false,
    connectTimeoutSeconds: undefined,
    strictHostKeyChecking: 'yes',
    knownHostsFiles: [path.join(home, '.ssh/known_hosts'), path.join(home, '.ssh/known_hosts2')],
  });
});

t.test('a bad value is refused naming the file and the option', async (t) => {
  const home = homeWithConfig(t, 'Host *\n  StrictHostKeyChecking maybe\n');
  await t.rejects(sshHostSettings(target('box'), home), {
    code: 'E_CONFIG',
    message: `${path.join(home, '.ssh', 'config')}: StrictHostKeyChecking maybe is not yes, accept-new or no`,
  });
  const badPort = homeWithConfig(t, 'Host *\n  Port http\n');
  await t.rejects(sshHostSettings(target('box'), badPort), {
    code: 'E_CONFIG',
    message: /Port http is not a port number/,
  });
});
