import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { BIN, ROOT } from '../helpers/cli.ts';
import { makeRepo, type TestRepo } from './helpers.ts';

const node = process.execPath;
const ADDON = path.join(ROOT, 'dist/replace-process.node');
/**
 * The tests of the command taking over the process need the native helper. Without it run still works (it
 * spawns; tested below), so they are skipped on a machine with no C compiler, but never under CI, which must
 * test what users run: there a missing helper fails them.
 */
const withHelper = {
  skip: existsSync(ADDON) || process.env.CI === 'true' ? false : 'no native helper: run spawns',
};

/**
 * An install whose native helper was not built (no C compiler, or Windows): bin/ and dist/ copied without
 * dist/replace-process.node, node_modules linked. Its `run` spawns the command as a child.
 */
function installWithoutHelper(t: Test): string {
  const root = mkdtempSync(path.join(tmpdir(), 'env-sync-no-helper-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  cpSync(path.join(ROOT, 'bin'), path.join(root, 'bin'), { recursive: true });
  cpSync(path.join(ROOT, 'dist'), path.join(root, 'dist'), {
    recursive: true,
    filter: (source) => path.basename(source) !== 'replace-process.node',
  });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
  return path.join(root, 'bin/env-sync.js');
}

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** The pid of the env-sync process the test started. */
  readonly pid: number;
}

/** Runs `bin run -- argv` in `repo`, sending `signal` once the command has printed its first line. */
function runThrough(bin: string, repo: TestRepo, argv: readonly string[], signal?: NodeJS.Signals) {
  return new Promise<Ended>((resolve, reject) => {
    // `env -u NODE_OPTIONS` execs node, so the pid is env-sync's own (without tap's coverage hooks).
    const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', node, bin, 'run', '--', ...argv], {
      cwd: repo.cwd,
      env: { PATH: process.env.PATH ?? '', ENV_SYNC_HOME: repo.home, HOME: repo.home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout === '' && signal !== undefined) child.kill(signal);
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, ended) => {
      clearTimeout(timer);
      resolve({ code, signal: ended, stdout, pid: child.pid! });
    });
  });
}

t.test('run lays the environment over the process environment and exits with the command code', async (t) => {
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'FROM_ENV_SYNC=multi\nline "v"', 'SHADOWED=from env-sync']);
  await repo.ok(t, ['env', 'create', 'staging']);
  await repo.ok(t, ['set', '--env', 'staging', 'FROM_ENV_SYNC=staging']);
  const print =
    'process.stdout.write(JSON.stringify([process.env.FROM_ENV_SYNC, process.env.SHADOWED, process.env.KEPT])); process.exit(7)';
  const result = await repo.cli(['run', '--', node, '-e', print], {
    env: { SHADOWED: 'parent', KEPT: 'kept' },
  });
  t.equal(result.code, 7, "env-sync exits with the command's code");
  t.same(JSON.parse(result.stdout), ['multi\nline "v"', 'from env-sync', 'kept']);
  const staging = await repo.cli(['run', '--env', 'staging', '--', node, '-e', print]);
  t.same(JSON.parse(staging.stdout)[0], 'staging');
  const flags = await repo.ok(t, ['run', '--', node, '--print', '"--env" + 1']);
  t.equal(flags.stdout, '--env1\n', "the command's own options are passed through");
  const missing = await repo.cli(['run', '--', 'no-such-command-xyz']);
  t.equal(missing.code, 127);
  t.match(missing.stderr, /cannot run 'no-such-command-xyz': command not found/);
  const directory = await repo.cli(['run', '--', repo.cwd]);
  t.equal(directory.code, 126, 'a directory cannot be executed: 126');
  t.match(directory.stderr, /cannot run '.*': EACCES/);
  const none = await repo.cli(['run']);
  t.equal(none.code, 2);
});

t.test('the command takes over the env-sync process', withHelper, async (t) => {
  t.ok(existsSync(ADDON), 'dist/replace-process.node was built');
  const repo = await makeRepo(t);
  await repo.ok(t, ['set', 'A=1']);
  const script = 'echo $$; ls /proc/self/fd; grep -E "^Sig(Ign|Blk):" /proc/self/status';
  const ran = await runThrough(BIN, repo, ['sh', '-c', script]);
  t.equal(ran.code, 0);
  const [pid, ...rest] = ran.stdout.trim().split('\n');
  t.equal(Number(pid), ran.pid, "the command runs as env-sync's own process: same pid, no parent left");
  // What a command started straight from the test gets: the standard descriptors and whatever the test
  // runner passed down (Node marks its standard descriptors close-on-exec; the helper undoes that).
  const direct = spawnSync('sh', ['-c', 'ls /proc/self/fd'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const fds = rest.filter((line) => /^\d+$/.test(line));
  t.same(fds, direct.stdout.trim().split('\n'), "no descriptor of env-sync's is left open in the command");
  t.ok(fds.includes('0') && fds.includes('1') && fds.includes('2'), 'stdin, stdout and stderr are kept');
  t.same(
    rest.filter((line) => line.startsWith('Sig')),
    ['SigBlk:\t0000000000000000', 'SigIgn:\t0000000000000000'],
    'no signal blocked or ignored (Node ignores SIGPIPE and SIGXFSZ)',
  );
});

/**
 * How a long-running command ends, as the caller of `bin run` sees it, when the caller sends SIGTERM to a
 * command that handles it (exit 42), and SIGTERM or SIGINT to one that does not.
 */
async function signalEndings(bin: string, repo: TestRepo) {
  const handles =
    "process.on('SIGTERM', () => process.exit(42)); console.log('ready'); setInterval(() => {}, 1000)";
  const dies = "console.log('ready'); setInterval(() => {}, 1000)";
  const ended = async (script: string, signal: NodeJS.Signals) => {
    const { code, signal: by } = await runThrough(bin, repo, [node, '-e', script], signal);
    return { code, signal: by };
  };
  return {
    handled: await ended(handles, 'SIGTERM'),
    terminated: await ended(dies, 'SIGTERM'),
    interrupted: await ended(dies, 'SIGINT'),
  };
}

t.test(
  'signals reach the command itself, and its end is the one the caller sees',
  { ...withHelper, timeout: 30_000 },
  async (t) => {
    const repo = await makeRepo(t);
    await repo.ok(t, ['set', 'A=1']);
    t.same(await signalEndings(BIN, repo), {
      handled: { code: 42, signal: null },
      terminated: { code: null, signal: 'SIGTERM' },
      interrupted: { code: null, signal: 'SIGINT' },
    });
  },
);

t.test(
  'without the native helper, run spawns the command and forwards signals',
  { timeout: 30_000 },
  async (t) => {
    const repo = await makeRepo(t);
    await repo.ok(t, ['set', 'A=1']);
    const bin = installWithoutHelper(t);
    t.same(
      await signalEndings(bin, repo),
      {
        handled: { code: 42, signal: null },
        terminated: { code: 143, signal: null },
        interrupted: { code: 130, signal: null },
      },
      'SIGTERM was forwarded to the child; a signal that ended it is reported as 128 + its number',
    );
    const missing = await runThrough(bin, repo, ['no-such-command-xyz']);
    t.equal(missing.code, 127, 'a command that cannot be found: 127');
    const pid = await runThrough(bin, repo, ['sh', '-c', 'echo $$']);
    t.not(Number(pid.stdout.trim()), pid.pid, 'the command is a child of env-sync');
    t.equal(pid.code, 0);
  },
);

t.test('the command is found in the PATH it is given, scripts without #! run under sh', async (t) => {
  const repo = await makeRepo(t);
  const tools = path.join(repo.cwd, 'tools');
  mkdirSync(tools);
  // No #! line: the kernel refuses it (ENOEXEC) and, as execvp does, sh reads it.
  writeFileSync(path.join(tools, 'greet'), 'echo "hello $WHO from $0"\n');
  chmodSync(path.join(tools, 'greet'), 0o755);
  await repo.ok(t, ['set', `PATH=${tools}:${process.env.PATH}`, 'WHO=env-sync']);
  const greeted = await repo.ok(t, ['run', '--', 'greet']);
  t.equal(greeted.stdout, `hello env-sync from ${path.join(tools, 'greet')}\n`);
  // As execvp: an entry that is a file (ENOTDIR) or where the name is not executable (EACCES) is passed
  // over, the latter reported when nothing else is found (126).
  const blocked = path.join(repo.cwd, 'blocked');
  mkdirSync(blocked);
  writeFileSync(path.join(blocked, 'greet'), 'echo not me\n');
  writeFileSync(path.join(repo.cwd, 'a-file'), '');
  await repo.ok(t, ['set', `PATH=${path.join(repo.cwd, 'a-file')}:${blocked}:${tools}:${process.env.PATH}`]);
  const passedOver = await repo.ok(t, ['run', '--', 'greet']);
  t.equal(passedOver.stdout, `hello env-sync from ${path.join(tools, 'greet')}\n`, 'found past both');
  writeFileSync(path.join(tools, 'plain'), 'echo no\n');
  const denied = await repo.cli(['run', '--', 'plain']);
  t.equal(denied.code, 126);
  t.match(denied.stderr, /cannot run 'plain': EACCES/);
  const empty = await repo.cli(['run', '--', '']);
  t.equal(empty.code, 127, 'the empty name is not found');
});

t.test('a value holding a NUL byte is refused by name, never shown', async (t) => {
  const repo = await makeRepo(t);
  const secret = 'nul-canary-93b1';
  await repo.ok(t, ['set', 'BINARY'], { input: `${secret}\0tail` });
  const refused = await repo.cli(['run', '--', 'true']);
  t.equal(refused.code, 1);
  t.equal(refused.stderr, 'env-sync: cannot pass BINARY to the command: its value holds a NUL byte\n');
  t.notMatch(refused.stderr + refused.stdout, secret);
});

const onLinux = process.platform === 'linux' ? false : 'reads /proc';

t.test(
  'descriptors passed by socket activation reach the command; others Node marked do not',
  { ...withHelper, skip: withHelper.skip || onLinux },
  async (t) => {
    const repo = await makeRepo(t);
    await repo.ok(t, ['set', 'A=1']);
    // sh sets LISTEN_PID to its own pid, then execs env, which execs node: LISTEN_PID names env-sync.
    const launch = `LISTEN_PID=$$ LISTEN_FDS=1 exec /usr/bin/env -u NODE_OPTIONS "$0" "$1" run -- sh -c 'echo "$LISTEN_PID $$"; ls /proc/self/fd'`;
    const ran = spawnSync('sh', ['-c', `${launch} 3</etc/hostname 7</etc/hostname`, node, BIN], {
      cwd: repo.cwd,
      env: { PATH: process.env.PATH ?? '', ENV_SYNC_HOME: repo.home, HOME: repo.home },
      encoding: 'utf8',
    });
    t.equal(ran.status, 0, ran.stderr);
    const [pids, ...fds] = ran.stdout.trim().split('\n');
    const [listenPid, pid] = pids!.split(' ');
    t.equal(listenPid, pid, 'LISTEN_PID names the command, as sd_listen_fds checks');
    t.ok(fds.includes('3'), 'the activated socket (descriptor 3) is passed');
    t.notOk(fds.includes('7'), "descriptor 7, not announced, is not: Node's spawn would not pass it either");
  },
);

t.test(
  'the helper puts the process back when no program could be run, and clears O_NONBLOCK for the one it runs',
  { ...withHelper, skip: withHelper.skip || onLinux },
  async (t) => {
    // In a plain node (not tap's), with stdin a pipe: reading it makes Node set O_NONBLOCK on it.
    const script = `
      const { readFileSync } = require('node:fs');
      const { replaceProcess } = require(process.argv[1]);
      const state = () => ({
        fds: [0, 1, 2].map((fd) => readFileSync('/proc/self/fdinfo/' + fd, 'utf8').split('\\n')[1]),
        signals: readFileSync('/proc/self/status', 'utf8').match(/^Sig(Ign|Cgt|Blk):.*$/gm),
      });
      process.stdin.on('data', () => {});
      let interrupted = false;
      process.on('SIGINT', () => { interrupted = true; });
      const before = state();
      const error = replaceProcess('no-such-command-xyz', ['no-such-command-xyz'], ['PATH=/nonexistent:/bin'], []);
      const after = state();
      process.kill(process.pid, 'SIGINT');
      setTimeout(() => {
        process.stdout.write(JSON.stringify({ error, before, after, interrupted }) + '\\n');
        replaceProcess('sh', ['sh', '-c', 'sed -n 2p /proc/self/fdinfo/0'], ['PATH=/usr/bin:/bin'], []);
      }, 50);
    `;
    const ran = spawnSync('/usr/bin/env', ['-u', 'NODE_OPTIONS', node, '-e', script, ADDON], {
      input: '',
      encoding: 'utf8',
      timeout: 15_000,
    });
    t.equal(ran.status, 0, ran.stderr);
    const [report, flags] = ran.stdout.trim().split('\n');
    const { error, before, after, interrupted } = JSON.parse(report!);
    t.equal(error, 2, 'ENOENT');
    t.same(after, before, 'descriptor flags, signal dispositions and mask as they were');
    t.match(before.fds[0], /^flags:\s+[0-7]*4[0-7]{3}$/, 'stdin was non-blocking in Node');
    t.ok(interrupted, "Node's own SIGINT handler still runs");
    const octal = Number.parseInt(flags!.replace(/^flags:\s+/, ''), 8);
    t.equal(octal & 0o4000, 0, 'the program got a blocking stdin');
  },
);

t.test('a command the kernel refuses (E2BIG) is reported the same way by both ways of running', async (t) => {
  const repo = await makeRepo(t);
  // One variable above the kernel's 128 KiB limit on a single string.
  await repo.ok(t, ['set', 'HUGE'], { input: 'x'.repeat(140_000) });
  for (const bin of [BIN, installWithoutHelper(t)]) {
    const ran = await runThrough(bin, repo, ['true']);
    t.equal(ran.code, 126, bin === BIN ? 'exec' : 'spawn');
  }
});
