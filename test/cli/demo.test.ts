// `env-sync demo` runs the secure-peer workflow end to end, and the plaintext one on request.

import t from 'tap';
import { runCli } from '../helpers/cli.ts';

t.test('the demo invites, joins, approves, syncs, reads and revokes over mutual TLS', async (t) => {
  const dir = t.testdir();
  const result = await runCli(['demo'], { cwd: dir, timeoutMs: 180_000 });
  t.equal(result.code, 0, result.stderr);
  for (const step of [
    /^alice\$ env-sync serve --listen 127\.0\.0\.1:0 &$/m,
    /^alice\$ TOKEN=\$\(env-sync peer invite\)$/m,
    /^bob\$ env-sync clone "\$TOKEN" bob$/m,
    /^alice\$ env-sync peer approve \S+$/m,
    /^alice\$ env-sync peer revoke \S+$/m,
  ]) {
    t.match(result.stdout, step);
  }
  t.match(result.stdout, /not an approved peer of this group/, 'the revoked pull is refused');
  t.match(result.stdout, /bob read DEMO_TOKEN=demo-value-1, then demo-value-2 .* with mutual TLS/);
  t.notMatch(result.stdout, /env-sync-invite-1\./, 'the token is never printed');
});

t.test('the plaintext demo stays available with --mode dev-plaintext-http', async (t) => {
  const result = await runCli(['demo', '--mode', 'dev-plaintext-http'], {
    cwd: t.testdir(),
    timeoutMs: 180_000,
  });
  t.equal(result.code, 0, result.stderr);
  t.match(
    result.stdout,
    /bob now has DEMO_TOKEN=demo-value-2 \(set by alice, synced over http:\/\/127\.0\.0\.1:\d+\)/,
  );
});
