// `env-sync serve`: serve this repository to peers over the transport of its mode: HTTPS with mutual TLS 1.3 in
// secure-peer, plain HTTP in dev-plaintext-http (loopback by default); in trusted-owner-ssh the server is the
// user's own sshd, so it prints the URL to clone.

import type http from 'node:http';
import os from 'node:os';
import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import type { Repository } from '../../store/repository.ts';
import type { SyncServerOptions } from '../../transport/http-server.ts';
import { formatSshUrl, shellQuote } from '../../transport/ssh-url.ts';
import { EnvSyncCommand } from '../base-command.ts';

export const DEFAULT_LISTEN = '127.0.0.1:7464';

export class ServeCommand extends EnvSyncCommand {
  static override paths = [['serve']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'serve this repository to peers (fetch, clone, push, join)',
    details: `
      Serves the repository over the transport of its mode until SIGINT or SIGTERM, then stops accepting
      connections, lets exchanges in flight finish (up to 2 s) and exits 0. Prints \`listening on <url>\` for
      each \`--listen\` address once ready (default \`127.0.0.1:7464\`; with port 0 the system chooses it).

      \`secure-peer\`: HTTPS with TLS 1.3 only and a client certificate required. The server presents this peer's
      identity certificate; it prints its peer id and certificate fingerprint. Every request is authorized from
      the client's certificate against the registry as it is at that moment (an approve or revoke, made here
      or received by sync, applies to the next connection): an approved peer gets the whole protocol (a push
      is checked against the membership rules); a pending peer only the membership chain; a revoked or unknown
      certificate only an error saying it is not an approved peer of this group. A client holding an
      invitation (\`env-sync peer invite\`) may join: its request is recorded as pending, or approved at once
      for a pre-approved invitation, and the log says so. This peer must be an approved member. At most 128
      connections at once; a silent connection is dropped after \`sync.idleTimeout\`.

      \`dev-plaintext-http\`: plain HTTP with no encryption and no authentication, for debugging only (a warning is
      printed at start); binding a non-loopback address prints a second warning, since anyone who can reach
      the address can read and push every secret. \`--read-only\` refuses pushes in both modes.

      \`trusted-owner-ssh\`: there is nothing to start. Other machines reach the repository through this machine's
      own OpenSSH server, which runs \`env-sync upload-pack\`/\`receive-pack\` for them (docs/transports.md);
      \`serve\` says so, prints the URL to clone (\`ssh://<user>@<host><path>\`) and exits 0.
    `,
    examples: [
      ['Serve on loopback, port 7464', '$0 serve'],
      ['Serve on every interface, port 7464', '$0 serve --listen 0.0.0.0:7464'],
      ['Serve on a port chosen by the system', '$0 serve --listen 127.0.0.1:0'],
      ['Serve read-only', '$0 serve --read-only'],
      ['Print the SSH URL of a trusted-owner-ssh repository', '$0 serve'],
    ],
  });

  listen = Option.Array('--listen', [], {
    description: 'address and port to bind, repeatable (default 127.0.0.1:7464)',
  });
  readOnly = Option.Boolean('--read-only', false, { description: 'refuse pushes' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    if (repo.mode === 'trusted-owner-ssh') return this.#describeSsh(repo.workTree);
    const listens = (this.listen.length > 0 ? this.listen : [DEFAULT_LISTEN]).map(parseListen);
    const log = (line: string) => this.context.stderr.write(`env-sync: serve: ${line}\n`);
    const options: SyncServerOptions = {
      readOnly: this.readOnly,
      onError: (error, service) => log(`${service}: ${error.message.split('\n')[0]}`),
      ...(await this.#modeOptions(repo, listens, log)),
    };
    const { createSyncServer, closeSyncServer } = await import('../../transport/http-server.ts');
    const servers: http.Server[] = [];
    const addresses: string[] = [];
    try {
      for (const { host, port } of listens) {
        const server = createSyncServer(repo, options);
        servers.push(server);
        addresses.push(formatAddress(host, await listenOn(server, host, port)));
      }
    } catch (error) {
      await Promise.all(servers.map((server) => closeSyncServer(server, 0)));
      throw error;
    }
    const scheme = options.gate === undefined ? 'http' : 'https';
    for (const address of addresses) this.print(`listening on ${scheme}://${address}`);
    let forget = async () => {};
    if (options.gate !== undefined) {
      const { recordAddresses } = await import('./serve-secure-peer.ts');
      forget = await recordAddresses(repo, addresses);
    }
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    log(`${signal}, shutting down`);
    await Promise.all(servers.map((server) => closeSyncServer(server)));
    await forget();
    return 0;
  }

  #describeSsh(dir: string): number {
    this.context.stderr.write(
      "env-sync: serve: trusted-owner-ssh is served by this machine's own OpenSSH server (sshd); nothing to start\n",
    );
    this.print(
      `clone with: env-sync clone ${shellQuote(formatSshUrl(os.userInfo().username, os.hostname(), dir))}`,
    );
    return 0;
  }

  /** secure-peer: the mutual-TLS gate (and who this server is); dev-plaintext-http: its warnings. */
  async #modeOptions(
    repo: Repository,
    listens: readonly { host: string }[],
    log: (line: string) => void,
  ): Promise<Partial<SyncServerOptions>> {
    if (repo.mode === 'secure-peer') {
      const { servingIdentity, securePeerServerOptions } = await import('./serve-secure-peer.ts');
      const identity = await servingIdentity(repo);
      this.print(`peer ${identity.peerId}`);
      this.print(`certificate ${identity.certificateFingerprint}`);
      return securePeerServerOptions(repo, identity, log);
    }
    this.warn('dev-plaintext-http serves secrets over plain HTTP with no authentication: debugging only');
    for (const { host } of listens.filter(({ host }) => !isLoopback(host))) {
      this.warn(
        `binding ${host}, which is not loopback: anyone who can reach it can read and push every secret`,
      );
    }
    return {};
  }
}

function listenOn(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new EnvSyncError('E_IO', `cannot listen on ${host}:${port} (${error.code ?? 'error'})`)),
    );
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

function formatAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match === null || port > 65535)
    throw new EnvSyncError('E_USAGE', '--listen takes <host>:<port>, e.g. 127.0.0.1:7464');
  return { host: match[1] ?? match[2]!, port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
