import t from 'tap';
import { isValidKeyName, keyNameHint, validateKeyName } from '../../src/dotenv/key-name.ts';
import { parseDotenv } from '../../src/dotenv/parse.ts';
import { isEnvSyncError } from '../../src/errors.ts';

t.test('key names follow dotenv: a letter or _ first, then letters, digits, _ . -', async (t) => {
  for (const name of ['A', '_', 'DB_URL', 'a.b-c', 'x1', 'export', 'constructor']) {
    t.ok(isValidKeyName(name), name);
    t.equal(validateKeyName(name), name);
  }
  for (const name of ['', '1A', '.A', '-A', 'A B', 'A=B', 'A$', 'É', 'A\n', '__proto__']) {
    t.notOk(isValidKeyName(name), JSON.stringify(name));
    t.throws(() => validateKeyName(name), { code: 'E_KEY_NAME' });
  }
});

t.test('the error names the key on one line', async (t) => {
  try {
    validateKeyName('BAD KEY\nX');
    t.fail('should throw');
  } catch (error) {
    t.ok(isEnvSyncError(error, 'E_KEY_NAME'));
    t.match((error as Error).message, /^invalid key name "BAD KEY\\nX" \(use /);
    t.notMatch((error as Error).message, /\n/);
  }
});

t.test('__proto__ is refused: dotenv parses it into a plain object and loses it', async (t) => {
  t.throws(() => validateKeyName('__proto__'), { code: 'E_KEY_NAME', message: /reserved/ });
});

t.test('a key name longer than the limit is refused with the limit stated, without echoing it', async (t) => {
  const long = `K${'EY'.repeat(1000)}`;
  t.notOk(isValidKeyName(long));
  t.equal(keyNameHint(long), '2001 characters; the limit is 1024');
  t.ok(isValidKeyName('K'.repeat(1024)), 'the limit itself is allowed');
  t.throws(() => validateKeyName(long), {
    code: 'E_KEY_NAME',
    message: 'invalid key name: 2001 characters; the limit is 1024',
  });
  t.throws(() => parseDotenv(`${long}=v\n`), {
    code: 'E_KEY_NAME',
    message: 'line 1: invalid key name (2001 characters; the limit is 1024)',
  });
});
