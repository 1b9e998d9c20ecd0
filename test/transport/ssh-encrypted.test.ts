// Encrypted trusted-owner-ssh over SSH: a second machine of the same person clones, cannot read until its age
// recipient is added (which re-seals the heads), reads after its next pull, and writes what the first reads.

import t from 'tap';
import { runCli } from '../helpers/cli.ts';
import { sshSkip, startSshd } from '../helpers/sshd.ts';
import { peer } from '../sync/helpers.ts';

const skip = sshSkip(t);

t.test('a second machine reads an encrypted repository once its recipient is added', { skip }, async (t) => {
  const sshd = await startSshd(t);
  const desktop = peer(sshd.remoteHome, 'project');
  await desktop.ok(t, ['init', '--mode', 'trusted-owner-ssh', '--encrypt']);
  await desktop.ok(t, ['set', 'API_KEY'], 's3cret-value');
  const laptop = peer(t.testdir(), 'laptop');
  await sshd.installClient(laptop.home);

  await laptop.ok(t, sshd.cloneArgs('sshd-test:project', laptop.dir));
  const unreadable = await laptop.cli(['get', 'API_KEY']);
  t.equal(unreadable.code, 1, 'the clone holds the snapshot, sealed to the desktop only');
  t.notMatch(unreadable.stdout + unreadable.stderr, /s3cret/);

  const laptopRecipient = JSON.parse(
    (await laptop.ok(t, ['identity', 'show', '--json'])).stdout,
  ).ageRecipient;
  const added = await desktop.ok(t, ['config', 'set', 'encrypt.recipients', laptopRecipient]);
  t.match(
    added.stdout,
    /^re-sealed main to 2 reader\(s\) as [0-9a-f]{12}$/m,
    'adding a recipient re-seals the heads',
  );

  await laptop.ok(t, ['pull']);
  t.equal(
    (await laptop.ok(t, ['get', 'API_KEY'])).stdout,
    's3cret-value\n',
    'the laptop reads after its pull',
  );

  // The laptop seals its own writes to both machines, then pushes them back.
  const desktopRecipient = JSON.parse(
    (await desktop.ok(t, ['identity', 'show', '--json'])).stdout,
  ).ageRecipient;
  await laptop.ok(t, ['config', 'set', 'encrypt.recipients', desktopRecipient]);
  await laptop.ok(t, ['config', 'set', 'encrypt', 'true']);
  await laptop.ok(t, ['set', 'FROM_LAPTOP'], 'written-there');
  await laptop.ok(t, ['push', 'origin']);
  const read = await runCli(['get', 'FROM_LAPTOP'], { cwd: desktop.dir, home: desktop.home });
  t.equal(read.stdout, 'written-there\n', 'the desktop reads what the laptop pushed');
});
