import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { ObjectId } from '../../src/store/object-id.ts';
import { appendReflog, formatReflogLine, readReflog, ZERO_ID } from '../../src/store/reflog.ts';

const A = 'a'.repeat(64) as ObjectId;
const B = 'b'.repeat(64) as ObjectId;

t.test('a reflog line is `<old> <new> <peer> <time>\\t<reason>\\n`, zeros for none', async (t) => {
  t.equal(
    formatReflogLine({ old: null, new: A, peer: 'peer-1', time: 1700000000, reason: 'init' }),
    `${ZERO_ID} ${A} peer-1 1700000000\tinit\n`,
  );
  t.equal(
    formatReflogLine({ old: A, new: null, peer: 'a b\tc', time: 5, reason: 'line\nbreak\u0007' }),
    `${A} ${ZERO_ID} a_b_c 5\tline break \n`,
    'whitespace in the peer and control characters in the reason cannot break the line',
  );
  t.equal(
    formatReflogLine({ old: A, new: B, peer: '', time: 1, reason: 'r'.repeat(600) }).length,
    64 * 2 + 2 + 'unknown'.length + 3 + 500 + 1,
  );
});

t.test('entries are appended and read back oldest first', async (t) => {
  const logs = t.testdir();
  await appendReflog(logs, 'refs/heads/main', { old: null, new: A, peer: 'p', time: 1, reason: 'first' });
  await appendReflog(logs, 'refs/heads/main', { old: A, new: B, peer: 'p', time: 2, reason: 'second' });
  t.same(await readReflog(logs, 'refs/heads/main'), [
    { old: null, new: A, peer: 'p', time: 1, reason: 'first' },
    { old: A, new: B, peer: 'p', time: 2, reason: 'second' },
  ]);
  t.same(await readReflog(logs, 'refs/heads/other'), [], 'no log, no entries');
});

t.test(
  'a torn last line (crash mid-append) is ignored; a bad complete line is an error naming it',
  async (t) => {
    const logs = t.testdir();
    const file = path.join(logs, 'refs/heads/main');
    await appendReflog(logs, 'refs/heads/main', { old: null, new: A, peer: 'p', time: 1, reason: 'ok' });
    appendFileSync(file, `${A} ${B} p 2\tto`);
    t.equal((await readReflog(logs, 'refs/heads/main')).length, 1);
    appendFileSync(file, '\n');
    t.equal((await readReflog(logs, 'refs/heads/main')).length, 2, 'once complete, the line counts');
    appendFileSync(file, 'garbage\n');
    await t.rejects(readReflog(logs, 'refs/heads/main'), {
      code: 'E_REF_CORRUPT',
      message: 'refs/heads/main reflog line 3 is malformed',
    });
    t.match(readFileSync(file, 'utf8'), /garbage/, 'reading never rewrites the log');
  },
);
