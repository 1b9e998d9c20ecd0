import t from 'tap';
import {
  branchRef,
  isValidRefName,
  refCandidates,
  remoteRef,
  validateComponent,
  validateRefName,
} from '../../src/store/ref-names.ts';

t.test('HEAD, branches, remote branches and refs/members are valid ref names', async (t) => {
  for (const name of [
    'HEAD',
    'refs/heads/main',
    'refs/heads/prod-eu.1',
    'refs/remotes/origin/main',
    'refs/members',
  ]) {
    t.ok(isValidRefName(name), name);
    t.equal(validateRefName(name), name);
  }
});

t.test('names that escape refs/, hold .., control characters or .lock are refused', async (t) => {
  const bad = [
    '',
    'main',
    'refs',
    'refs/',
    'refs//main',
    'refs/heads/',
    '/refs/heads/main',
    '/etc/passwd',
    'refs/../config',
    'refs/heads/../../config',
    'refs/heads/a..b',
    'refs/heads/main.lock',
    'refs/heads.lock/main',
    'refs/heads/main.tmp-0a1b2c',
    'refs/heads/main.lock.tmp-0a1b2c',
    'refs/heads/ma\u0000in',
    'refs/heads/ma\nin',
    'refs/heads/ma\u007fin',
    'refs/heads/ma in',
    'refs/heads/.hidden',
    'refs/heads/-dash',
    'refs\\heads\\main',
    'refs/heads/main~1',
    'refs/heads/main^',
    'refs/heads/a:b',
    'refs/heads/ä',
    `refs/heads/${'x'.repeat(250)}`,
    'head',
    'HEAD/x',
  ];
  for (const name of bad) {
    t.notOk(isValidRefName(name), JSON.stringify(name));
    t.throws(() => validateRefName(name), { code: 'E_REF_NAME' }, JSON.stringify(name));
  }
});

t.test('the error quotes a refused name safely (control characters escaped, long names cut)', async (t) => {
  t.throws(() => validateRefName('refs/heads/a\nb'), { message: 'invalid ref name "refs/heads/a\\nb"' });
  t.throws(() => validateRefName(`refs/${'y'.repeat(300)}`), { message: /^invalid ref name "refs\/y{75}"$/ });
});

t.test('environment and remote names are single components', async (t) => {
  t.equal(branchRef('main'), 'refs/heads/main');
  t.equal(remoteRef('origin', 'prod'), 'refs/remotes/origin/prod');
  for (const name of ['', 'a/b', '..', 'x.lock', 'x.tmp-0a1b', '.x', 'a b', 'x'.repeat(101)]) {
    t.throws(() => validateComponent(name, 'environment'), { code: 'E_REF_NAME', message: /environment/ });
  }
  t.throws(() => remoteRef('../x', 'main'), { code: 'E_REF_NAME', message: /invalid remote name/ });
});

t.test('short names expand in git order: refs/<n>, refs/heads/<n>, refs/remotes/<n>', async (t) => {
  t.same(refCandidates('main'), ['refs/main', 'refs/heads/main', 'refs/remotes/main']);
  t.same(refCandidates('origin/main'), [
    'refs/origin/main',
    'refs/heads/origin/main',
    'refs/remotes/origin/main',
  ]);
  t.same(refCandidates('members'), ['refs/members', 'refs/heads/members', 'refs/remotes/members']);
  t.same(refCandidates('HEAD'), ['HEAD']);
  t.same(refCandidates('refs/heads/x'), ['refs/heads/x']);
  t.same(refCandidates('../x'), []);
});
