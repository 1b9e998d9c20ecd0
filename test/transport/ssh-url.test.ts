// SSH remote URLs as git reads them, and the remote command line they turn into.

import t from 'tap';
import { parseSshUrl, remoteCommand, shellQuote } from '../../src/transport/ssh-url.ts';

t.test('ssh:// URLs give user, host, port and an absolute or home-relative path', async (t) => {
  t.same(parseSshUrl('ssh://me@box.example:2222/srv/secrets'), {
    user: 'me',
    host: 'box.example',
    port: 2222,
    path: '/srv/secrets',
  });
  t.same(parseSshUrl('ssh://box/~/projects/app'), {
    user: undefined,
    host: 'box',
    port: undefined,
    path: 'projects/app',
  });
  t.same(parseSshUrl('ssh://[::1]:22/~'), { user: undefined, host: '::1', port: 22, path: '.' });
  t.throws(() => parseSshUrl('ssh://box/~other/app'), {
    code: 'E_USAGE',
    message: /~user paths are not supported/,
  });
  t.throws(() => parseSshUrl('ssh://box:70000/x'), {
    code: 'E_USAGE',
    message: /port 70000 is out of range/,
  });
});

t.test('scp-like URLs are relative to the remote home unless they start with /', async (t) => {
  t.same(parseSshUrl('me@box:app'), { user: 'me', host: 'box', port: undefined, path: 'app' });
  t.same(parseSshUrl('box:/srv/app'), { user: undefined, host: 'box', port: undefined, path: '/srv/app' });
  t.same(parseSshUrl('box:~/app'), { user: undefined, host: 'box', port: undefined, path: 'app' });
  t.same(parseSshUrl('box:'), { user: undefined, host: 'box', port: undefined, path: '.' });
});

t.test('a host or user that ssh would read as an option is refused', async (t) => {
  t.throws(() => parseSshUrl('-oProxyCommand=evil:app'), { code: 'E_USAGE' });
  t.throws(() => parseSshUrl('ssh://-oProxyCommand=evil/app'), { code: 'E_USAGE' });
  t.throws(() => parseSshUrl('-me@box:app'), { code: 'E_USAGE' });
});

t.test('the remote command quotes the path for a POSIX shell', async (t) => {
  t.equal(
    remoteCommand('env-sync', 'upload-pack', "/srv/it's $(here); `x`"),
    "env-sync upload-pack '/srv/it'\\''s $(here); `x`'",
  );
  t.equal(remoteCommand('env-sync', 'receive-pack', '-x'), "env-sync receive-pack './-x'");
  t.equal(shellQuote(''), "''");
});
