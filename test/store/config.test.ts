import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Config } from '../../src/store/config.ts';

t.test('parses sections, subsections, comments and quoted values', async (t) => {
  const config = Config.parse(
    [
      '# comment',
      '[core]',
      '\tmode = secure-peer',
      '  Version=1',
      '; another comment',
      '[remote "laptop"]',
      '\turl = "ssh://me@laptop:22/~/app # not a comment"',
      '\tempty = ""',
      '',
    ].join('\n'),
  );
  t.equal(config.get('core.mode'), 'secure-peer');
  t.equal(config.get('core.version'), '1', 'section and key names are case-insensitive');
  t.equal(config.get('CORE.VERSION'), '1');
  t.equal(config.get('remote.laptop.url'), 'ssh://me@laptop:22/~/app # not a comment');
  t.equal(config.get('remote.laptop.empty'), '');
  t.equal(config.get('remote.Laptop.url'), undefined, 'subsections are case-sensitive');
  t.same(config.subsections('remote'), ['laptop']);
});

t.test('serialize then parse gives the same values, including ones that need quoting', async (t) => {
  const config = new Config();
  const values: Record<string, string> = {
    'core.mode': 'trusted-owner-ssh',
    'core.note': ' padded ',
    'remote.a.url': 'x#y;z "q" \\ back',
    'remote.a.empty': '',
    'remote.b.url': 'plain',
  };
  for (const [key, value] of Object.entries(values)) config.set(key, value);
  const again = Config.parse(config.serialize());
  for (const [key, value] of Object.entries(values)) t.equal(again.get(key), value, key);
  t.same(again.entries(), config.entries());
});

t.test('parse errors name the file and the line', async (t) => {
  const cases: [string, RegExp][] = [
    ['[core]\nmode secure-peer\n', /^cfg line 2: expected "key = value"$/],
    ['mode = x\n', /^cfg line 1: expected "key = value"$/],
    ['[core]\n\n\nurl = a#b\n', /^cfg line 4: quote values that hold # ; or "$/],
    ['[core]\nurl = "unterminated\n', /^cfg line 2: malformed quoted value$/],
    ['[remote "a b"]\n', /^cfg line 1: bad subsection name$/],
    ['[core\n', /^cfg line 1: expected "key = value"$/],
  ];
  for (const [text, message] of cases) {
    t.throws(() => Config.parse(text, 'cfg'), { code: 'E_CONFIG', message }, JSON.stringify(text));
  }
  t.throws(() => Config.parse('#'.repeat(1024 * 1024 + 1), 'cfg'), { message: 'cfg: file is too large' });
});

t.test('keys and values are validated on set', async (t) => {
  const config = new Config();
  for (const key of ['core', 'a.b.c.d', '1x.y', 'core.', 'remote.a b.url']) {
    t.throws(() => config.set(key, 'v'), { code: 'E_CONFIG', message: /invalid config key/ }, key);
  }
  t.throws(() => config.set('core.x', 'a\nb'), { code: 'E_CONFIG', message: /control characters/ });
});

t.test('write is atomic and private; read reports a missing file', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'config');
  const config = new Config();
  config.set('core.mode', 'dev-plaintext-http');
  await config.write(file);
  t.equal(readFileSync(file, 'utf8'), '[core]\n\tmode = dev-plaintext-http\n');
  t.equal((await Config.read(file)).get('core.mode'), 'dev-plaintext-http');
  await t.rejects(Config.read(path.join(dir, 'nope')), { code: 'E_CONFIG', message: /is missing$/ });
});
