import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { freshDir, ROOT } from '../helpers/cli.ts';
import { cliIn, expectRefused } from '../store/cli-repo.ts';

// A hostile umask: init must set its modes itself. Children inherit it (each test file is its own process).
process.umask(0o000);
// Not created here: the first command that needs an identity creates it, private.
const home = path.join(t.testdir(), 'home');

function workDir(t: Test): string {
  const dir = path.join(t.testdir(), 'work');
  mkdirSync(dir);
  return dir;
}

function modesUnder(root: string): { dirs: Set<number>; files: Set<number> } {
  const dirs = new Set<number>([statSync(root).mode & 0o777]);
  const files = new Set<number>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const mode = statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mode & 0o777;
    (entry.isDirectory() ? dirs : files).add(mode);
  }
  return { dirs, files };
}

t.test(
  'init creates a private .env-sync/ with config, HEAD, objects, refs and logs (umask 000)',
  async (t) => {
    const repo = cliIn(workDir(t), home);
    const out = await repo.ok(t, ['init', '--mode', 'trusted-owner-ssh']);
    t.match(out, `Initialized empty env-sync repository in ${repo.dir}/\n`);
    for (const entry of ['config', 'HEAD', 'objects', 'refs/heads', 'refs/remotes', 'logs']) {
      t.ok(existsSync(path.join(repo.dir, entry)), entry);
    }
    t.equal(readFileSync(path.join(repo.dir, 'HEAD'), 'utf8'), 'ref: refs/heads/main\n');
    t.match(
      readFileSync(path.join(repo.dir, 'config'), 'utf8'),
      /^\[core\]\n\tversion = 1\n\tmode = trusted-owner-ssh\n\tgroup = [0-9a-f]{64}\n\tgroupnonce = [0-9a-f]{32}\n$/,
    );
    const { dirs, files } = modesUnder(repo.dir);
    t.same([...dirs], [0o700], 'every directory is 0700');
    t.same([...files], [0o600], 'every file is 0600');
    t.equal((await repo.run(['fsck'])).code, 0, 'a new repository passes fsck');
  },
);

t.test('the default mode is secure-peer, and init says which mode it chose', async (t) => {
  const repo = cliIn(workDir(t), home);
  const out = await repo.ok(t, ['init']);
  t.match(out, /^Mode: secure-peer \(mutual TLS 1\.3/m);
  t.match(readFileSync(path.join(repo.dir, 'config'), 'utf8'), /mode = secure-peer/);
});

t.test('dev-plaintext-http warns, in one stderr line, that it is for debugging only', async (t) => {
  const repo = cliIn(workDir(t), home);
  const result = await repo.run(['init', '--mode', 'dev-plaintext-http']);
  t.equal(result.code, 0);
  t.match(
    result.stderr,
    /^env-sync: warning: dev-plaintext-http is for debugging only[^\n]*never use real secrets\n$/,
  );
  t.match(result.stdout, /^Mode: dev-plaintext-http /m);
});

t.test('--encrypt is recorded for trusted-owner-ssh and a usage error elsewhere', async (t) => {
  const repo = cliIn(workDir(t), home);
  await repo.ok(t, ['init', '--mode', 'trusted-owner-ssh', '--encrypt']);
  t.match(readFileSync(path.join(repo.dir, 'config'), 'utf8'), /encrypt = true/);
  const other = cliIn(workDir(t), home);
  await expectRefused(t, other, ['init', '--encrypt'], {
    exitCode: 2,
    message: /secure-peer always encrypts/,
  });
  await expectRefused(t, other, ['init', '--mode', 'dev-plaintext-http', '--encrypt'], {
    exitCode: 2,
    message: /--encrypt needs --mode trusted-owner-ssh/,
  });
  t.notOk(existsSync(other.dir), 'nothing was created');
});

t.test('an unknown mode is a usage error that creates nothing', async (t) => {
  const repo = cliIn(workDir(t), home);
  await expectRefused(t, repo, ['init', '--mode', 'plaintext'], {
    exitCode: 2,
    message:
      /^env-sync: Invalid value for --mode: expected one of "secure-peer", "trusted-owner-ssh", or "dev-plaintext-http"/,
  });
  t.notOk(existsSync(repo.dir));
});

t.test('a second init is refused and changes nothing', async (t) => {
  const repo = cliIn(workDir(t), home);
  await repo.ok(t, ['init', '--mode', 'trusted-owner-ssh']);
  await expectRefused(t, repo, ['init'], {
    message: /^env-sync: .*\.env-sync already exists; refusing to re-initialize it\n$/,
  });
  await expectRefused(t, repo, ['init', '--mode', 'trusted-owner-ssh'], { message: /already exists/ });
});

t.test('inside a git work tree, the missing entries are added to .gitignore, once', async (t) => {
  const dir = freshDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('git', ['init', '-q', dir]);
  writeFileSync(path.join(dir, '.gitignore'), 'node_modules\n/.env*');
  const repo = cliIn(dir, home);
  const out = await repo.ok(t, ['init', '--mode', 'trusted-owner-ssh']);
  t.match(out, /^Added \.env-sync\/, !\.env\.example to \.gitignore$/m);
  const expected = 'node_modules\n/.env*\n.env-sync/\n!.env.example\n';
  t.equal(readFileSync(path.join(dir, '.gitignore'), 'utf8'), expected);
  // Again in a fresh repository of the same work tree: nothing is duplicated.
  rmSync(repo.dir, { recursive: true });
  t.notMatch(await repo.ok(t, ['init', '--mode', 'trusted-owner-ssh']), /Added/);
  t.equal(readFileSync(path.join(dir, '.gitignore'), 'utf8'), expected);
  const status = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--ignored'], { encoding: 'utf8' });
  t.match(status, /^!! \.env-sync\/$/m, 'git ignores the repository');
});

t.test(
  'a new .gitignore ignores .env-sync/ and every .env* but .env.example; outside git none is written',
  async (t) => {
    const dir = freshDir();
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const outside = cliIn(dir, home);
    await outside.ok(t, ['init', '--mode', 'trusted-owner-ssh']);
    t.notOk(existsSync(path.join(dir, '.gitignore')), 'not a git work tree: no .gitignore');
    const inGit = freshDir();
    t.teardown(() => rmSync(inGit, { recursive: true, force: true }));
    execFileSync('git', ['init', '-q', inGit]);
    await cliIn(inGit, home).ok(t, ['init', '--mode', 'trusted-owner-ssh']);
    t.equal(readFileSync(path.join(inGit, '.gitignore'), 'utf8'), '.env-sync/\n.env*\n!.env.example\n');
    const ignored = (name: string) =>
      spawnSync('git', ['check-ignore', '-q', name], { cwd: inGit }).status === 0;
    t.same(
      ['.env', '.env.local', '.env.production', '.env.example'].map(ignored),
      [true, true, true, false],
      'git itself agrees',
    );

    const exported = await cliIn(inGit, home).run(['export', '-o', 'secrets.txt']);
    t.match(exported.stderr, /warning: git would track secrets\.txt, which holds secrets; .*--gitignore/);
    t.notMatch((await cliIn(inGit, home).run(['export', '-o', '.env.local'])).stderr, /warning/);
    const added = await cliIn(inGit, home).run(['export', '-o', 'secrets.txt', '--gitignore']);
    t.match(added.stderr, /Added secrets\.txt to \.gitignore/);
    t.ok(ignored('secrets.txt'));
  },
);

t.test('-C <dir> runs as if started in <dir>; a missing <dir> is a usage error', async (t) => {
  const root = workDir(t);
  mkdirSync(path.join(root, 'sub'));
  const repo = cliIn(root, home);
  await repo.ok(t, ['-C', 'sub', 'init', '--mode', 'trusted-owner-ssh']);
  t.ok(existsSync(path.join(root, 'sub/.env-sync/HEAD')));
  t.notOk(existsSync(path.join(root, '.env-sync')));
  t.equal((await repo.run(['-C', 'sub', 'fsck'])).code, 0);
  await expectRefused(t, repo, ['-C', 'missing', 'init'], {
    exitCode: 2,
    message: /^env-sync: cannot change to 'missing': no such directory\n$/,
  });
});

t.test('--version prints the package version', async (t) => {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const repo = cliIn(workDir(t), home);
  t.equal(await repo.ok(t, ['--version']), `${version}\n`);
});

t.test("--help lists every plumbing command; help <command> prints that command's help", async (t) => {
  const repo = cliIn(workDir(t), home);
  const help = await repo.ok(t, ['--help']);
  for (const command of [
    'init',
    'hash-object',
    'cat-file',
    'update-ref',
    'rev-parse',
    'show-ref',
    'ls-tree',
    'commit-tree',
    'fsck',
  ]) {
    t.match(help, new RegExp(`env-sync ${command}\\b`), command);
  }
  const catFile = await repo.ok(t, ['help', 'cat-file']);
  t.equal(catFile, await repo.ok(t, ['cat-file', '--help']));
  t.match(
    catFile,
    /cat-file --json --show-values HEAD \| env-sync hash-object --json --stdin/,
    'with examples',
  );
});

t.test('an unknown command exits 2 with one line on stderr', async (t) => {
  const repo = cliIn(workDir(t), home);
  const result = await repo.run(['frobnicate']);
  t.equal(result.code, 2);
  t.equal(result.stderr, "env-sync: 'frobnicate' is not an env-sync command; see 'env-sync --help'\n");
});

t.test('a mistyped command, environment or remote gets one line with the closest name', async (t) => {
  const repo = cliIn(workDir(t), home);
  await repo.ok(t, ['init', '--mode', 'trusted-owner-ssh']);
  await repo.ok(t, ['env', 'create', 'staging']);
  await repo.ok(t, ['remote', 'add', 'origin', '/nowhere']);
  const cases: [string[], number, string][] = [
    [
      ['sett', 'A=1'],
      2,
      "env-sync: 'sett' is not an env-sync command (did you mean 'set'?); see 'env-sync --help'\n",
    ],
    [
      ['peer', 'aprove', 'x'],
      2,
      "env-sync: 'peer aprove' is not an env-sync command (did you mean 'peer approve'?); see 'env-sync help peer'\n",
    ],
    [['help', 'nope'], 2, "env-sync: 'nope' is not an env-sync command; see 'env-sync --help'\n"],
    [
      ['help', 'chekout'],
      2,
      "env-sync: 'chekout' is not an env-sync command (did you mean 'checkout'?); see 'env-sync --help'\n",
    ],
    [
      ['list', '--env', 'stagin'],
      1,
      "env-sync: environment 'stagin' does not exist (did you mean 'staging'?); see 'env-sync env list' or create it with 'env-sync env create stagin'\n",
    ],
    [
      ['remote', 'remove', 'orign'],
      1,
      "env-sync: no remote named 'orign' (did you mean 'origin'?); see 'env-sync remote list'\n",
    ],
  ];
  for (const [args, code, stderr] of cases) {
    const result = await repo.run(args);
    t.same([result.code, result.stderr], [code, stderr], args.join(' '));
  }
});

t.test(
  'fetch, pull and push given a URL or a path where a remote name goes say how to name it',
  async (t) => {
    const repo = cliIn(workDir(t), home);
    await repo.ok(t, ['init', '--mode', 'trusted-owner-ssh']);
    t.equal((await repo.run(['set', 'A=1'])).code, 0);
    for (const [command, where] of [
      ['fetch', 'ssh://host/srv/app'],
      ['pull', 'me@host:app'],
      ['push', '../other'],
    ] as const) {
      const result = await repo.run([command, where]);
      t.same(
        [result.code, result.stderr],
        [
          1,
          `env-sync: "${where}" is not a remote name: name the URL or path first (env-sync remote add <name> ${where}), then use the name\n`,
        ],
        `${command} ${where}`,
      );
    }
    t.same(await repo.ok(t, ['remote', 'list']), '', 'and nothing was added');
  },
);

t.test(
  'a word that only starts commands lists them: `bundle --help`, `help env`, a bare `peer`',
  async (t) => {
    const repo = cliIn(workDir(t), home);
    const bundleHelp = await repo.run(['bundle', '--help']);
    t.equal(bundleHelp.code, 0);
    t.match(bundleHelp.stdout, /^'env-sync bundle' needs a subcommand:\n\n {2}env-sync bundle create <file>/);
    t.match(bundleHelp.stdout, /\n {2}env-sync bundle verify <file>\n {4}check that a bundle file/);
    t.equal((await repo.run(['help', 'bundle'])).stdout, bundleHelp.stdout, '`help bundle` prints the same');
    const envHelp = (await repo.run(['help', 'env'])).stdout;
    for (const command of ['env create <name>', 'env delete <name>', 'env list']) {
      t.match(envHelp, `\n  env-sync ${command}\n`, command);
    }
    const bare = await repo.run(['peer']);
    t.equal(bare.code, 2, 'without --help it is a usage error');
    t.match(bare.stderr, /^'env-sync peer' needs a subcommand:\n/);
    const unknown = await repo.run(['bundle', 'frobnicate']);
    t.same(
      [unknown.code, unknown.stderr],
      [2, "env-sync: 'bundle frobnicate' is not an env-sync command; see 'env-sync help bundle'\n"],
    );
  },
);

t.test('usage errors never echo the value of a misplaced argument', async (t) => {
  const repo = cliIn(workDir(t), home);
  const secret = 'sk-live-canary-0123456789';
  for (const args of [
    ['get', 'API_KEY', secret],
    ['set', `--token=${secret}`, 'API_KEY'],
    ['list', `--show-values=${secret}`],
    ['export', '--format', secret],
    ['history', '-n', secret],
  ]) {
    const result = await repo.run(args);
    t.equal(result.code, 2, args.join(' '));
    t.notMatch(result.stderr, secret, 'the value is not in the error');
    t.match(result.stderr, /^env-sync: [^\n]+; see 'env-sync help [a-z]+'\n$/);
  }
  t.match((await repo.run(['set', `--token=${secret}`, 'K'])).stderr, /unknown option '--token'; see/);
});

t.test('errors are one line; --debug adds the stack', async (t) => {
  const repo = cliIn(workDir(t), home);
  await expectRefused(t, repo, ['cat-file', '-t', 'HEAD'], {
    message: /^env-sync: not an env-sync repository \(or any parent up to \/\): .*; run 'env-sync init'\n$/,
  });
  const debug = await repo.run(['--debug', 'cat-file', '-t', 'HEAD']);
  t.equal(debug.code, 1);
  const lines = debug.stderr.trimEnd().split('\n');
  t.match(lines[0], /^env-sync: not an env-sync repository/);
  t.match(lines[1], /EnvSyncError/);
  t.match(lines[2], /^\s+at /, 'a stack frame follows');
});

t.test('env-sync alone prints a short overview by workflow, every command in it real', async (t) => {
  const repo = cliIn(workDir(t), home);
  const result = await repo.run([]);
  t.equal(result.code, 0);
  t.equal(result.stderr, '');
  const lines = result.stdout.split('\n');
  t.ok(lines.length <= 45, `short (${lines.length} lines)`);
  t.match(result.stdout, /^usage: env-sync \[-C <path>\] \[--debug\] \[--no-color\] <command> \[<args>\]\n/);
  for (const group of ['start a repository or join one', 'work with secrets', 'sync with peers', 'team'])
    t.match(result.stdout, `\n${group}\n`);
  const named = lines.flatMap((line) => /^ {3}(\S+(?: [a-z]+)?) {2,}\S/.exec(line)?.[1] ?? []);
  t.ok(named.length >= 12, `${named.length} commands`);
  for (const command of named) {
    const help = await repo.run(['help', ...command.split(' ')]);
    t.equal(help.code, 0, `'${command}' is a command`);
  }
});
