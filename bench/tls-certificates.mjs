// TLS 1.3 handshake cost by certificate key type, both sides presenting a self-signed certificate as secure-peer
// does: RSA-2048 (what identities hold, made by node-forge), Ed25519 and ECDSA P-256 (made here by `openssl req`).
// Each round opens, round-robin, one connection per kind and sends one POST over it: a full handshake (a new TLS
// context, as a process's first connection) and a resumed one (the session of the previous connection).
// Run: `node bench/tls-certificates.mjs [--runs N]` (default 100). Figures: docs/performance.md.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

const at = process.argv.indexOf('--runs');
const RUNS = at < 0 ? 100 : Number(process.argv[at + 1]);
const TLS13 = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
const KINDS = {
  'RSA-2048': ['-newkey', 'rsa:2048'],
  Ed25519: ['-newkey', 'ed25519'],
  'ECDSA P-256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
};
const dir = mkdtempSync(path.join(os.tmpdir(), 'env-sync-bench-tls-'));

function certificate(kind, who) {
  const [key, cert] = [path.join(dir, `${kind}-${who}.key`), path.join(dir, `${kind}-${who}.crt`)];
  const args = ['req', '-x509', ...KINDS[kind], '-nodes', '-keyout', key, '-out', cert, '-days', '1'];
  execFileSync('openssl', [...args, '-subj', `/CN=${who}`], { stdio: 'ignore' });
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

const answer = (request, response) => request.resume().on('end', () => response.end('ok'));
const setups = {};
for (const kind of Object.keys(KINDS)) {
  const server = https.createServer(
    { ...certificate(kind, 'server'), ...TLS13, requestCert: true, rejectUnauthorized: false },
    answer,
  );
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  setups[kind] = { server, client: certificate(kind, 'client'), session: undefined, context: undefined };
}

/** One POST over a new connection; `resume` reuses the context and session of the previous one. */
function post(setup, resume) {
  const started = process.hrtime.bigint();
  const context = resume ? setup.context : tls.createSecureContext({ ...setup.client, ...TLS13 });
  setup.context = context;
  return new Promise((resolve, reject) => {
    const { port } = setup.server.address();
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      createConnection: (_options, done) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          port,
          secureContext: context,
          rejectUnauthorized: false,
          session: resume ? setup.session : undefined,
        });
        socket.on('session', (session) => {
          setup.session = session;
        });
        socket.once('secureConnect', () => done(null, socket));
        socket.once('error', reject);
      },
    });
    request.on('response', (response) =>
      response.resume().on('end', () => resolve(Number(process.hrtime.bigint() - started) / 1e6)),
    );
    request.on('error', reject);
    request.end('x');
  });
}

const times = Object.fromEntries(Object.keys(KINDS).map((kind) => [kind, { full: [], resumed: [] }]));
for (let i = 0; i < RUNS; i++) {
  for (const kind of Object.keys(KINDS)) {
    times[kind].full.push(await post(setups[kind], false));
    times[kind].resumed.push(await post(setups[kind], true));
  }
}
for (const { server } of Object.values(setups)) server.close();
rmSync(dir, { recursive: true, force: true });

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const rsa = median(times['RSA-2048'].full);
console.log(`\nTLS 1.3, both certificates, one POST per connection on loopback; medians of ${RUNS}\n`);
console.log('| certificates | full handshake | resumed | full / RSA-2048 full |');
console.log('| --- | --- | --- | --- |');
for (const [kind, { full, resumed }] of Object.entries(times)) {
  const f = median(full);
  console.log(
    `| ${kind} | ${f.toFixed(2)} ms | ${median(resumed).toFixed(2)} ms | ${(f / rsa).toFixed(2)}× |`,
  );
}
