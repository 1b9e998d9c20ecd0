// `env-sync serve`: serve this repository to peers over the transport of its mode: plain HTTP on loopback in
// dev-plaintext-http; in trusted-owner-ssh the server is the user's own sshd, so it prints the URL to clone.

import os from 'node:os';
import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
import { formatSshUrl, shellQuote } from '../../transport/ssh-url.ts';
import { EnvSyncCommand } from '../base-command.ts';

export const DEFAULT_LISTEN = '127.0.0.1:7464';

export class ServeCommand extends EnvSyncCommand {
  static override paths = [['serve']];
  static override usage = Command.Usage({
    category: 'Sync',
    description: 'serve this repository to peers (fetch, clone, push)',
    details: `
      Serves the repository over the transport of its mode until SIGINT or SIGTERM, then stops accepting
      connections, lets exchanges in flight finish (up to 2 s) and exits 0. Prints \`listening on <url>\` once
      ready (with \`--listen 127.0.0.1:0\` the port is chosen by the system).

      \`dev-plaintext-http\`: plain HTTP with no encryption and no authentication, for debugging only (a warning is
      printed at start). It binds \`127.0.0.1:7464\` unless \`--listen\` says otherwise; binding a non-loopback
      address needs that explicit \`--listen\` and prints a second warning, since anyone who can reach the address
      can read and push every secret. \`--read-only\` refuses pushes.

      \`trusted-owner-ssh\`: there is nothing to start. Other machines reach the repository through this machine's
      own OpenSSH server, which runs \`env-sync upload-pack\`/\`receive-pack\` for them (docs/transports.md);
      \`serve\` says so, prints the URL to clone (\`ssh://<user>@<host><path>\`) and exits 0.

      \`secure-peer\` is served over mutual TLS, which is not available in this version: \`serve\` says so.
    `,
    examples: [
      ['Serve on loopback, port 7464', '$0 serve'],
      ['Serve on a port chosen by the system', '$0 serve --listen 127.0.0.1:0'],
      ['Serve read-only', '$0 serve --read-only'],
      ['Print the SSH URL of a trusted-owner-ssh repository', '$0 serve'],
    ],
  });

  listen = Option.String('--listen', { description: 'address and port to bind (default 127.0.0.1:7464)' });
  readOnly = Option.Boolean('--read-only', false, { description: 'refuse pushes' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    if (repo.mode === 'trusted-owner-ssh') return this.#describeSsh(repo.workTree);
    if (repo.mode !== 'dev-plaintext-http') {
      throw new EnvSyncError(
        'E_MODE',
        'serve: the mutual-TLS (secure-peer) transport is not available yet in this version; nothing was started',
      );
    }
    const { host, port } = parseListen(this.listen ?? DEFAULT_LISTEN);
    this.warn('dev-plaintext-http serves secrets over plain HTTP with no authentication: debugging only');
    if (!isLoopback(host)) {
      this.warn(
        `binding ${host}, which is not loopback: anyone who can reach it can read and push every secret`,
      );
    }
    const { createSyncServer, closeSyncServer } = await import('../../transport/http-server.ts');
    const server = createSyncServer(repo, {
      readOnly: this.readOnly,
      onError: (error, service) =>
        this.context.stderr.write(`env-sync: serve: ${service}: ${error.message.split('\n')[0]}\n`),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new EnvSyncError('E_IO', `cannot listen on ${host}:${port} (${error.code ?? 'error'})`)),
      );
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    this.print(`listening on http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    this.context.stderr.write(`env-sync: serve: ${signal}, shutting down\n`);
    await closeSyncServer(server);
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
