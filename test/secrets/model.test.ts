import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { applyChange, mergeEntries } from '../../src/model/apply-change.ts';
import { describeChange } from '../../src/model/commit-message.ts';
import { diffEntries, isEmptyDiff } from '../../src/model/diff.ts';
import { commitEnvironment, readEnvironment, type Session } from '../../src/model/environment.ts';
import {
  createEnvironment,
  deleteEnvironment,
  readExistingEnvironment,
} from '../../src/model/environment-lifecycle.ts';
import { readHistory } from '../../src/model/history.ts';
import { plainCodec } from '../../src/model/snapshot-codec.ts';
import { checkOutEnvironment, workingFile, writeWorkingFile } from '../../src/model/working-file.ts';
import { workingFileHasEdits } from '../../src/model/working-file-changes.ts';
import { initRepository } from '../../src/store/repository.ts';

async function session(t: Test): Promise<Session> {
  const dir = mkdtempSync(path.join(tmpdir(), 'env-sync-model-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return {
    repo: await initRepository(dir, { mode: 'dev-plaintext-http' }),
    peerId: 'test-peer',
    codec: plainCodec,
    signCommit: null,
  };
}

const map = (object: Record<string, string>) => new Map(Object.entries(object));

t.test('diffEntries names added, removed and changed keys, sorted, and nothing else', async (t) => {
  const diff = diffEntries(map({ B: '1', A: '1', C: 'x' }), map({ C: 'y', A: '1', D: '', Z: '0' }));
  t.same(diff, { added: ['D', 'Z'], removed: ['B'], changed: ['C'] });
  t.ok(isEmptyDiff(diffEntries(map({ A: '' }), map({ A: '' }))));
  t.notOk(isEmptyDiff(diffEntries(map({ A: '' }), map({}))), 'an empty value differs from no value');
});

t.test('describeChange names keys, never values, and stays short for big changes', async (t) => {
  t.equal(describeChange({ added: ['A'], changed: [], removed: [] }), 'Add A');
  t.equal(
    describeChange({ added: ['A'], changed: ['B'], removed: ['C', 'D'] }),
    'Add A; change B; remove C, D',
  );
  t.equal(describeChange({ added: [], changed: ['X'], removed: [] }, 'Import .env'), 'Import .env: change X');
  const many = Array.from({ length: 10_000 }, (_, i) => `KEY_${String(i).padStart(5, '0')}`);
  const message = describeChange({ added: many, changed: [], removed: [] }, 'Import big.env');
  t.match(message, /^Import big\.env: add KEY_00000, .*, KEY_00009 and 9990 more$/);
  t.ok(message.length < 200);
});

t.test('applyChange commits a real change and nothing for a no-op', async (t) => {
  const s = await session(t);
  const first = await applyChange(s, await readEnvironment(s, 'main'), map({ A: 'secret-a' }));
  t.match(first, { commit: /^[0-9a-f]{64}$/, message: 'Add A' });
  const state = await readEnvironment(s, 'main');
  const noop = await applyChange(s, state, mergeEntries(state.entries, map({ A: 'secret-a' })));
  t.same(noop, { diff: { added: [], removed: [], changed: [] }, commit: null, message: null });
  t.equal((await readEnvironment(s, 'main')).head, first.commit, 'the branch did not move');
  const custom = await applyChange(s, state, map({ A: 'other' }), { message: 'Rotate A' });
  t.equal(custom.message, 'Rotate A');
});

t.test('readHistory walks merges once, newest first, and filters by key', async (t) => {
  const s = await session(t);
  const a = await applyChange(s, await readEnvironment(s, 'main'), map({ A: '1' }));
  await createEnvironment(s, 'side', { from: 'main' });
  const b = await applyChange(s, await readEnvironment(s, 'side'), map({ A: '1', B: '1' }));
  const c = await applyChange(s, await readEnvironment(s, 'main'), map({ A: '2' }));
  const main = await readEnvironment(s, 'main');
  const merge = await commitEnvironment(s, main, {
    entries: map({ A: '2', B: '1' }),
    message: 'Merge side',
    parents: [main.head!, b.commit!],
  });
  const history = await readHistory(s, merge);
  t.equal(history[0]!.id, merge, 'the merge first');
  t.equal(history[3]!.id, a.commit, 'the root last');
  t.equal(history.length, 4, 'each commit once');
  t.same(
    history[0]!.diff,
    { added: ['B'], changed: [], removed: [] },
    'a merge is compared with its first parent',
  );
  t.same(new Set(history.slice(1, 3).map((entry) => entry.id)), new Set([b.commit, c.commit]));
  const onlyB = await readHistory(s, merge, { key: 'B' });
  t.same(onlyB.map((entry) => entry.id).sort(), [merge, b.commit].sort());
  t.equal((await readHistory(s, merge, { limit: 2 })).length, 2);
});

t.test('environments: a missing one is refused; create empty or from another; delete', async (t) => {
  const s = await session(t);
  t.same((await readExistingEnvironment(s, 'main')).entries, new Map(), 'an unborn main reads as empty');
  await t.rejects(readExistingEnvironment(s, 'nope'), { code: 'E_BAD_REVISION' });
  await applyChange(s, await readEnvironment(s, 'main'), map({ A: '1' }));
  const copy = await createEnvironment(s, 'copy', { from: 'main' });
  t.equal(copy, (await readEnvironment(s, 'main')).head, 'a copy points at the same commit');
  await createEnvironment(s, 'empty');
  t.same((await readEnvironment(s, 'empty')).entries, new Map());
  await t.rejects(createEnvironment(s, 'empty'), { code: 'E_REF_CONFLICT' });
  await t.rejects(createEnvironment(s, 'x', { from: 'nope' }), { code: 'E_BAD_REVISION' });
  await t.rejects(deleteEnvironment(s, 'main'), { code: 'E_USAGE' });
  t.equal(await deleteEnvironment(s, 'copy'), copy);
  await t.rejects(deleteEnvironment(s, 'copy'), { code: 'E_BAD_REVISION' });
});

t.test('a working file is edited only when it holds values no commit it came from has', async (t) => {
  const s = await session(t);
  const file = workingFile(s.repo);
  const target = map({ T: '1' });
  t.notOk(await workingFileHasEdits(s, target), 'no file');
  await applyChange(s, await readEnvironment(s, 'main'), map({ A: '1' }));
  await writeWorkingFile(file, map({ A: '1' }));
  t.notOk(await workingFileHasEdits(s, target), 'never checked out, but equal to the head of main');
  await checkOutEnvironment(s, await readEnvironment(s, 'main'));
  await applyChange(s, await readEnvironment(s, 'main'), map({ A: '2' }));
  t.notOk(await workingFileHasEdits(s, target), 'untouched since checkout');
  writeFileSync(file.path, '# a comment\nA=1\n');
  t.notOk(await workingFileHasEdits(s, target), 'a comment added, values as checked out');
  writeFileSync(file.path, 'A=edited\n');
  t.ok(await workingFileHasEdits(s, target), 'edited');
  t.notOk(await workingFileHasEdits(s, map({ A: 'edited' })), 'edited, but equal to the target');
  writeFileSync(file.path, 'not a dotenv line\n');
  t.ok(await workingFileHasEdits(s, target), 'unparseable counts as edited');
});
