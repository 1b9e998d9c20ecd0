// The mode is bound to the group (docs/security.md#the-mode-is-bound-to-the-group): an edited core.mode or
// core.group makes every command refuse the repository with one line, and fsck report it.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { hashedGroupId } from '../../src/store/group-binding.ts';
import { type CliRepo, expectRefused, type Mode, makeCliRepo } from '../store/cli-repo.ts';
import { snapshotTree } from '../store/tree-snapshot.ts';

const home = path.join(t.testdir(), 'home');
const MODES: readonly Mode[] = ['secure-peer', 'trusted-owner-ssh', 'dev-plaintext-http'];

function editConfig(repo: CliRepo, edit: (text: string) => string): void {
  const file = path.join(repo.dir, 'config');
  writeFileSync(file, edit(readFileSync(file, 'utf8')), { mode: 0o600 });
}

const setKey = (key: string, value: string) => (text: string) =>
  text.replace(new RegExp(`^\\t${key} = .*$`, 'm'), `\t${key} = ${value}`);

/** A repository in `mode` holding KEY=before, made through the CLI. */
async function repoWithValue(t: Test, mode: Mode): Promise<CliRepo> {
  const repo = await makeCliRepo(t, home, mode);
  await repo.ok(t, ['set', 'KEY'], { input: 'before' });
  return repo;
}

/** fsck exits 1 with `error: .env-sync/config: <message>` among its lines, and changes nothing. */
async function expectFsckReports(t: Test, repo: CliRepo, message: RegExp): Promise<void> {
  const before = snapshotTree(repo.cwd);
  const result = await repo.run(['fsck']);
  t.equal(result.code, 1, 'fsck exits 1');
  const line = result.stdout.split('\n').find((text) => text.startsWith('error: .env-sync/config: '));
  t.match(line, message, 'fsck reports the edited config as an error');
  t.same(snapshotTree(repo.cwd), before, 'fsck changes nothing');
}

/** Every file under `.env-sync/objects` whose bytes contain `value`. */
function objectsHolding(repo: CliRepo, value: string): string[] {
  const dir = path.join(repo.dir, 'objects');
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
    .filter((file) => readFileSync(file).includes(value));
}

for (const created of MODES) {
  for (const edited of MODES.filter((mode) => mode !== created)) {
    t.test(
      `a ${created} repository whose core.mode says ${edited} is refused by set, get, list and fsck`,
      async (t) => {
        const repo = await repoWithValue(t, created);
        editConfig(repo, setKey('mode', edited));
        const said = `core\\.mode is ${edited} but the group was created as ${created}`;
        const message = new RegExp(
          `^env-sync: ${repo.dir}/config: ${said}[^\\n]*; the configuration was edited — refusing\\n$`,
        );
        await expectRefused(t, repo, ['set', 'KEY'], { input: 'after', message });
        await expectRefused(t, repo, ['get', 'KEY'], { message });
        await expectRefused(t, repo, ['list'], { message });
        await expectFsckReports(t, repo, new RegExp(`^error: \\.env-sync/config: ${said}`));
      },
    );
  }

  t.test(`a ${created} repository whose core.group was edited is refused by set and fsck`, async (t) => {
    const repo = await repoWithValue(t, created);
    editConfig(repo, (text) =>
      text.replace(/^\tgroup = (.)/m, (_, c) => `\tgroup = ${c === '0' ? '1' : '0'}`),
    );
    const said =
      created === 'secure-peer'
        ? "core\\.group [0-9a-f]{12} is not this group's genesis event"
        : 'core\\.group does not commit to core\\.mode and core\\.groupNonce';
    await expectRefused(t, repo, ['set', 'KEY'], {
      input: 'after',
      message: new RegExp(`^env-sync: [^\\n]*config: ${said}; the configuration was edited — refusing\\n$`),
    });
    await expectFsckReports(t, repo, new RegExp(`^error: \\.env-sync/config: ${said}`));
  });
}

t.test(
  'a secure-peer repository downgraded by editing its config never stores a plaintext value',
  async (t) => {
    const repo = await repoWithValue(t, 'secure-peer');
    const secret = 'downgrade-canary-7Qx';
    t.same(objectsHolding(repo, 'before'), [], 'sanity: the first value is sealed');
    // The plain edit, then one that also forges a group id and nonce that commit to the weaker mode.
    const nonce = 'ab'.repeat(16);
    const edits = [
      setKey('mode', 'dev-plaintext-http'),
      setKey('mode', 'trusted-owner-ssh'),
      (text: string) =>
        `${setKey('group', hashedGroupId('dev-plaintext-http', nonce))(setKey('mode', 'dev-plaintext-http')(text))}\tgroupNonce = ${nonce}\n`,
    ];
    const original = readFileSync(path.join(repo.dir, 'config'), 'utf8');
    for (const edit of edits) {
      editConfig(repo, () => edit(original));
      await expectRefused(t, repo, ['set', 'KEY'], {
        input: secret,
        message: /but the group was created as secure-peer \(refs\/members exists\)/,
      });
      await expectRefused(t, repo, ['import', '-'], {
        input: `KEY=${secret}\n`,
        message: /configuration was edited/,
      });
    }
    t.same(objectsHolding(repo, secret), [], 'no object holds the value');
    editConfig(repo, () => original);
    t.equal((await repo.run(['get', 'KEY'])).stdout, 'before\n', 'the restored config opens again');
  },
);

t.test('config set refuses the keys that bind the mode to the group, in any case', async (t) => {
  const repo = await makeCliRepo(t, home, 'dev-plaintext-http');
  for (const key of ['mode', 'core.MODE', 'group', 'groupNonce', 'core.groupnonce']) {
    await expectRefused(t, repo, ['config', 'set', key, 'x'], {
      message: /is fixed when the repository is created/,
    });
  }
});
