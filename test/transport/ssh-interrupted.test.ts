// A connection cut in the middle of a pack: the fetch fails, no ref moves, and the repository stays consistent.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { sshSkip, startSshd } from '../helpers/sshd.ts';
import { buildHistory, initPeer, peer } from '../sync/helpers.ts';

const skip = sshSkip(t);

t.test('a fetch cut off mid-pack moves nothing and fsck passes', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const origin = await initPeer(sshd.remoteHome, 'project', 'trusted-owner-ssh');
  await origin.commit({ K: 'v' }, 'staging');
  const root = t.testdir();
  const laptop = peer(root, 'laptop');
  await sshd.installClient(laptop.home);
  await laptop.ok(t, sshd.cloneArgs('sshd-test:project', laptop.dir));
  await buildHistory(origin.dir, 50, 300);

  // The remote program's output stops after 20,000 bytes: past the advertisement, inside the pack.
  const cut = path.join(root, 'cut-after-20000-bytes');
  writeFileSync(cut, `#!/bin/sh\n'${sshd.program}' "$@" | head -c 20000\n`, { mode: 0o755 });
  const failed = await laptop.cli(['fetch', '--remote-program', cut]);
  t.equal(failed.code, 1);
  t.match(failed.stderr, /^env-sync: remote 'origin' sent a corrupt compressed pack\n$/, 'one line');
  t.equal(await laptop.ref('refs/remotes/origin/main'), null, 'no remote-tracking ref was created');
  await laptop.ok(t, ['fsck']);
  const complete = await laptop.ok(t, ['fetch']);
  t.match(complete.stdout, /^main: /m, 'the next fetch completes');
  t.equal(await laptop.ref('refs/remotes/origin/main'), await origin.ref('refs/heads/main'));
});
