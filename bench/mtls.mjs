// Mutual-TLS benchmark: the same secure-peer repository fetched over mutual TLS 1.3 (as `env-sync serve`
// serves it) and over plain HTTP (dev-plaintext-http's pipe), beside `git` over smart HTTP (`git http-backend`
// behind a small node server) of an equivalent repository: one file per key, one commit per change.
// - full fetch (a clone's transfer) and incremental fetch of one changed key, medians of --runs (default 5);
//   the env-sync client runs in this process (bundled src/, no start-up), `git` as its own process, and the
//   `env-sync fetch` command a person types over mutual TLS beside `git fetch`;
// - connection set-up: a TCP connect against a TLS 1.3 handshake with both certificates and the pin check,
//   full (a process's first connection) and resumed (the later ones);
// - 50 clients fetching everything at once from one server, over each pipe.
// History: --keys keys (default 100) and --commits commits (default 20), each changing 5 keys.
// Run: `node scripts/build.mjs && node bench/mtls.mjs [--keys N] [--commits N] [--runs N]`.
// Figures: docs/performance.md#sync.

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-src.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/env-sync.js');
const WORK = path.join(os.tmpdir(), `env-sync-bench-mtls-${process.pid}`);
const argValue = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const KEYS = argValue('--keys', 100);
const COMMITS = argValue('--commits', 20);
const RUNS = argValue('--runs', 5);
const CLIENTS = 50;
const HOME_A = path.join(WORK, '.home-alice');
const HOME_B = path.join(WORK, '.home-bob');
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: WORK };

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const es = await bundleSources('mtls', [
  "export { initRepository, openRepository } from './src/store/repository.ts';",
  "export { fetchRemote } from './src/sync/fetch.ts';",
  "export { DEFAULT_SYNC_LIMITS } from './src/sync/limits.ts';",
  "export { httpTransport } from './src/transport/http.ts';",
  "export { createSyncServer } from './src/transport/http-server.ts';",
  "export { connectPinned } from './src/transport/mutual-tls.ts';",
  "export { loadIdentity } from './src/crypto/load-identity.ts';",
  "export { loadRegistry } from './src/membership/chain-store.ts';",
  "export { certificateAccess } from './src/membership/certificate-access.ts';",
]);
const cleanup = [];
try {
  await main();
} finally {
  for (const stop of cleanup) await stop();
  rmSync(WORK, { recursive: true, force: true });
}

async function main() {
  const alice = path.join(WORK, 'alice');
  const git = path.join(WORK, 'git-source');
  const keys = Array.from({ length: KEYS }, (_, k) => `KEY_${String(k).padStart(4, '0')}`);
  const values = new Map(keys.map((key) => [key, randomBytes(16).toString('hex')]));
  const changeSome = (c) => {
    for (let i = 0; i < 5; i++) values.set(keys[(c * 5 + i) % KEYS], randomBytes(16).toString('hex'));
  };
  process.stderr.write(`setting up ${COMMITS} commits of ${KEYS} keys…\n`);
  mkdirSync(alice);
  // Named: two identities of one user on one machine would both take the default name user@host.
  cli(alice, HOME_A, ['identity', 'init', '--name', 'alice']);
  cli(alice, HOME_A, ['init']);
  execFileSync('git', ['init', '-q', git], { env: GIT_ENV });
  for (let c = 0; c < COMMITS; c++) {
    if (c > 0) changeSome(c);
    commitBoth(alice, git, values, c);
  }
  const serve = await startServe(alice);
  const token = cli(alice, HOME_A, ['peer', 'invite', '--approve', '--address', serve.address]).trim();
  cli(WORK, HOME_B, ['clone', '--name', 'bob', token, 'bob']);
  const bob = path.join(WORK, 'bob');

  process.env.ENV_SYNC_HOME = HOME_A; // the in-process server reads alice's verified registry
  const source = await es.openRepository(alice);
  const aliceId = await es.loadIdentity(HOME_A);
  const bobId = await es.loadIdentity(HOME_B);
  const gate = {
    credentials: aliceId.tlsCredentials(),
    async access(fingerprint) {
      const now = Math.floor(Date.now() / 1000);
      const loaded = await es.loadRegistry(source, now);
      return es.certificateAccess(loaded.registry, fingerprint, now);
    },
    async join() {
      throw new Error('no joins here');
    },
  };
  const tlsServer = await listen(es.createSyncServer(source, { gate, maxConnections: 128 }));
  const plainServer = await listen(es.createSyncServer(source));
  const gitServer = await gitHttpServer(WORK);
  const tls = {
    credentials: bobId.tlsCredentials(),
    checkServer(fingerprint) {
      if (fingerprint !== aliceId.certificateFingerprint) throw new Error('unexpected server certificate');
    },
  };
  const pipes = {
    mtls: () => es.httpTransport(`https://127.0.0.1:${tlsServer.port}`, tls),
    plain: () => es.httpTransport(`http://127.0.0.1:${plainServer.port}`),
  };
  const gitUrl = `http://127.0.0.1:${gitServer.port}/git-source`;

  // Full fetch into an empty repository (what a clone transfers), then one changed key.
  let dest = 0;
  const emptyRepo = () =>
    es.initRepository(path.join(WORK, `dest-${dest++}`), { mode: 'secure-peer', group: source.group });
  const fetchInto = async (repo, pipe) =>
    es.fetchRemote(repo, pipes[pipe](), 'origin', 'bench', es.DEFAULT_SYNC_LIMITS);
  const full = { mtls: [], plain: [], git: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const pipe of ['mtls', 'plain']) {
      const repo = await emptyRepo();
      full[pipe].push(await timed(() => fetchInto(repo, pipe)));
    }
    const gitDest = path.join(WORK, `git-clone-${i}`);
    full.git.push(await timed(() => run('git', ['clone', '-q', '--bare', gitUrl, gitDest], WORK, GIT_ENV)));
  }
  const before = { mtls: await emptyRepo(), plain: await emptyRepo() };
  for (const pipe of ['mtls', 'plain']) {
    // The membership chain is not applied (the same for both pipes); its tip is recorded so the copy opens.
    const { ad } = await fetchInto(before[pipe], pipe);
    await before[pipe].refs.update('refs/members', ad.members, {
      peer: 'bench',
      reason: 'bench',
      expected: null,
    });
  }
  const gitBefore = path.join(WORK, 'git-before');
  await run('git', ['clone', '-q', '--bare', gitUrl, gitBefore], WORK, GIT_ENV); // async: the server is ours
  changeSome(COMMITS);
  values.set(keys[0], randomBytes(16).toString('hex'));
  commitBoth(alice, git, values, COMMITS);
  const incremental = { mtls: [], plain: [], git: [], cliMtls: [], cliGit: [] };
  const bobBefore = `${bob}-before`;
  cpSync(bob, bobBefore, { recursive: true });
  for (let i = 0; i < RUNS; i++) {
    for (const pipe of ['mtls', 'plain']) {
      const copy = path.join(WORK, `inc-${pipe}-${i}`);
      cpSync(before[pipe].workTree, copy, { recursive: true });
      const repo = await es.openRepository(copy);
      incremental[pipe].push(await timed(() => fetchInto(repo, pipe)));
    }
    const gitCopy = path.join(WORK, `git-inc-${i}`);
    cpSync(gitBefore, gitCopy, { recursive: true });
    const gitFetch = ['fetch', '-q', gitUrl, '+refs/heads/*:refs/heads/*'];
    incremental.git.push(await timed(() => run('git', gitFetch, gitCopy, GIT_ENV)));
    const bobCopy = path.join(WORK, `bob-inc-${i}`);
    cpSync(bobBefore, bobCopy, { recursive: true });
    const esEnv = { ...process.env, ENV_SYNC_HOME: HOME_B };
    incremental.cliMtls.push(await timed(() => run(process.execPath, [BIN, 'fetch'], bobCopy, esEnv)));
    cpSync(gitBefore, `${gitCopy}-cli`, { recursive: true });
    incremental.cliGit.push(await timed(() => run('git', gitFetch, `${gitCopy}-cli`, GIT_ENV)));
  }

  // Connection set-up: 20 sequential connections each. A full handshake is what the first connection of a
  // process pays (its TLS context made too): a certificate the client has not used (the same PEM, one more
  // trailing newline) has no context and no session yet. The others resume the session of the fetches above.
  const connects = { tcp: [], full: [], resumed: [] };
  for (let i = 0; i < 20; i++) {
    const fresh = {
      ...tls,
      credentials: { ...tls.credentials, cert: tls.credentials.cert + '\n'.repeat(i + 1) },
    };
    connects.tcp.push(await timed(() => tcpConnect(plainServer.port)));
    connects.full.push(await timed(() => tlsConnect(tlsServer.port, fresh)));
    connects.resumed.push(await timed(() => tlsConnect(tlsServer.port, tls)));
  }

  // 50 clients at once, each fetching everything into its own empty repository.
  const concurrent = {};
  for (const pipe of ['mtls', 'plain']) {
    const repos = await Promise.all(Array.from({ length: CLIENTS }, () => emptyRepo()));
    concurrent[pipe] = await timed(() => Promise.all(repos.map((repo) => fetchInto(repo, pipe))));
  }
  concurrent.git = await timed(() =>
    Promise.all(
      Array.from({ length: CLIENTS }, (_, i) =>
        run('git', ['clone', '-q', '--bare', gitUrl, path.join(WORK, `git-many-${i}`)], WORK, GIT_ENV),
      ),
    ),
  );
  serve.stop();

  const ms = (x) => `${x.toFixed(1)} ms`;
  const m = (list) => median(list);
  const rows = [
    ['full fetch (clone transfer)', m(full.mtls), m(full.plain), m(full.git)],
    ['incremental fetch, 5 keys changed', m(incremental.mtls), m(incremental.plain), m(incremental.git)],
    [
      '`env-sync fetch` over mTLS vs `git fetch` (commands)',
      m(incremental.cliMtls),
      null,
      m(incremental.cliGit),
    ],
    [`${CLIENTS} concurrent full fetches (wall)`, concurrent.mtls, concurrent.plain, concurrent.git],
  ];
  console.log(`\n${COMMITS} commits of ${KEYS} keys, secure-peer (age to 2 readers); medians of ${RUNS}\n`);
  console.log('| measure | mTLS | plain HTTP | git smart HTTP | mTLS / plain | mTLS / git |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [name, a, b, g] of rows) {
    const ratio = (x) => (x === null ? '–' : `${(a / x).toFixed(2)}×`);
    console.log(
      `| ${name} | ${ms(a)} | ${b === null ? '–' : ms(b)} | ${ms(g)} | ${ratio(b)} | ${ratio(g)} |`,
    );
  }
  for (const kind of ['full', 'resumed']) {
    console.log(
      `| connection set-up (TCP / TLS 1.3 ${kind === 'full' ? 'full handshake, both certificates' : 'resumed session'} + pin) | ${ms(m(connects[kind]))} | ${ms(m(connects.tcp))} | – | ${(m(connects[kind]) / m(connects.tcp)).toFixed(1)}× | – |`,
    );
  }
  console.log(
    `| throughput, ${CLIENTS} clients | ${((CLIENTS * 1000) / concurrent.mtls).toFixed(1)} fetches/s | ${((CLIENTS * 1000) / concurrent.plain).toFixed(1)} fetches/s | ${((CLIENTS * 1000) / concurrent.git).toFixed(1)} clones/s | | |`,
  );
}

function cli(cwd, home, args) {
  return execFileSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, ENV_SYNC_HOME: home },
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'ignore'],
  });
}

/** One commit of `values` in each: `import --replace` in env-sync, one file per key in git. */
function commitBoth(alice, git, values, c) {
  const text = [...values].map(([k, v]) => `${k}=${v}`).join('\n');
  writeFileSync(path.join(WORK, 'input.env'), `${text}\n`);
  cli(alice, HOME_A, ['import', '--replace', path.join(WORK, 'input.env')]);
  for (const [key, value] of values) writeFileSync(path.join(git, key), `${value}\n`);
  execFileSync('git', ['add', '-A'], { cwd: git, env: GIT_ENV });
  execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@x', 'commit', '-q', '-m', `change ${c}`], {
    cwd: git,
    env: GIT_ENV,
  });
}

async function startServe(dir) {
  const child = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0'], {
    cwd: dir,
    env: { ...process.env, ENV_SYNC_HOME: HOME_A },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  cleanup.push(() => child.kill('SIGTERM'));
  const address = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on https:\/\/(\S+)/.exec(out);
      if (match !== null) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error('serve exited')));
  });
  return { address, stop: () => child.kill('SIGTERM') };
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  );
  return { port: server.address().port };
}

/** `git http-backend` as CGI behind a node http server, serving every repository under `root`. */
async function gitHttpServer(root) {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://localhost');
    const child = spawn('git', ['http-backend'], {
      env: {
        ...GIT_ENV,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: request.method,
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        ...(request.headers['content-length'] ? { CONTENT_LENGTH: request.headers['content-length'] } : {}),
        HTTP_CONTENT_ENCODING: request.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: request.headers['git-protocol'] ?? '',
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    request.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk) => {
      if (headersDone) return void response.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers = {};
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const [name, ...rest] = line.split(':');
        const value = rest.join(':').trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      response.writeHead(status, headers);
      response.write(head.subarray(end + 4));
    });
    child.stdout.on('end', () => response.end());
  });
  return listen(server);
}

function run(command, args, cwd, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args[0]}: ${err}`)),
    );
  });
}

function tcpConnect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });
}

function tlsConnect(port, tls) {
  return new Promise((resolve, reject) =>
    es.connectPinned('127.0.0.1', port, tls, (error, socket) => {
      socket.destroy();
      if (error) reject(error);
      else resolve();
    }),
  );
}

async function timed(action) {
  const start = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(list) {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
