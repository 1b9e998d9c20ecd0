// `env-sync serve`: serve this repository to peers over the transport of its mode. In this version only
// dev-plaintext-http (plain HTTP, loopback by default) exists; the other modes refuse with a clear message.

import { Command, Option } from 'clipanion';
import { EnvSyncError } from '../../errors.ts';
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

      \`trusted-owner-ssh\` repositories are reached with \`ssh\` running \`env-sync upload-pack\`/\`receive-pack\`, and
      \`secure-peer\` over mutual TLS: neither transport is available in this version, and \`serve\` says so.
    `,
    examples: [
      ['Serve on loopback, port 7464', '$0 serve'],
      ['Serve on a port chosen by the system', '$0 serve --listen 127.0.0.1:0'],
      ['Serve read-only', '$0 serve --read-only'],
    ],
  });

  listen = Option.String('--listen', { description: 'address and port to bind (default 127.0.0.1:7464)' });
  readOnly = Option.Boolean('--read-only', false, { description: 'refuse pushes' });

  async execute(): Promise<number> {
    const repo = await this.openRepository();
    if (repo.mode !== 'dev-plaintext-http') {
      const transport = repo.mode === 'secure-peer' ? 'mutual-TLS (secure-peer)' : 'SSH (trusted-owner-ssh)';
      throw new EnvSyncError(
        'E_MODE',
        `serve: the ${transport} transport is not available yet in this version; nothing was started`,
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
