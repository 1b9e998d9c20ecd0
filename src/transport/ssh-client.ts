// The built-in SSH client (ssh2): a TCP connection with OpenSSH's errors, the host key checked against
// known_hosts, user authentication, then one exec channel whose stdin/stdout carry the protocol.

import net from 'node:net';
import { Client, type ClientChannel, type ServerHostKeyAlgorithm } from 'ssh2';
import { EnvSyncError } from '../errors.ts';
import type { Exchange } from '../sync/transport-interface.ts';
import { type SilentExit, untilExit } from './process.ts';
import { type AskPassphrase, type SshAuthentication, sshAuthentication } from './ssh-auth.ts';
import type { SshHostSettings } from './ssh-config.ts';
import { type HostKeyVerifier, hostKeyVerifier } from './ssh-host-key.ts';

export interface Ssh2ExchangeOptions {
  readonly settings: SshHostSettings;
  readonly command: string;
  readonly acceptNewHostKey: boolean;
  readonly askPassphrase: AskPassphrase;
  readonly onSilentExit: SilentExit;
}

/** Host key algorithms the client accepts (no SHA-1 `ssh-rsa`, no DSA). */
const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
];

export async function ssh2Exchange(options: Ssh2ExchangeOptions): Promise<Exchange> {
  const { settings } = options;
  const verifier = await hostKeyVerifier(settings, options.acceptNewHostKey);
  const auth = await sshAuthentication({
    user: settings.user,
    identityFiles: settings.identityFiles,
    identitiesOnly: settings.identitiesOnly,
    agentSocket: process.env.SSH_AUTH_SOCK,
    askPassphrase: options.askPassphrase,
  });
  const socket = await openSocket(settings);
  const client = new Client();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = handshakeTimer(settings, (error) => {
        reject(error);
        socket.destroy();
      });
      client.once('handshake', () => clearTimeout(timer));
      client.once('ready', resolve);
      client.on('error', (error: Error & { level?: string }) => {
        // An agent that cannot be reached is skipped, as OpenSSH skips it: ssh2 goes on to the key files.
        if (error.level === 'agent') return;
        clearTimeout(timer);
        reject(connectionFailure(error, settings, verifier, auth));
      });
      client.connect({
        sock: socket,
        username: settings.user,
        hostVerifier: verifier.verify,
        authHandler: auth.handler,
        algorithms: { serverHostKey: preferKnown(verifier.knownTypes) },
        readyTimeout: 120_000,
      });
    });
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      client.exec(options.command, (error, channel) =>
        error
          ? reject(new EnvSyncError('E_REMOTE', `${destination(settings)}: ${error.message}`))
          : resolve(channel),
      ),
    );
    return channelExchange(client, channel, options.onSilentExit);
  } catch (error) {
    client.end();
    socket.destroy();
    throw error;
  }
}

function channelExchange(client: Client, channel: ClientChannel, onSilentExit: SilentExit): Exchange {
  let status: number | null = null;
  channel.on('exit', (code: number | null) => {
    status = code;
  });
  const exited = new Promise<number | null>((resolve) => channel.once('close', () => resolve(status)));
  channel.stderr.pipe(process.stderr, { end: false });
  channel.on('error', () => {});
  return {
    incoming: untilExit(channel, exited, onSilentExit),
    outgoing: channel,
    close() {
      client.end();
    },
  };
}

/** Known key types first (as OpenSSH orders them), so that a known host is not met with another key type. */
function preferKnown(knownTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const known = knownTypes.flatMap((type) =>
    type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256'] : [type],
  );
  const supported = HOST_KEY_ALGORITHMS.filter((algorithm) => known.includes(algorithm));
  return [...new Set([...supported, ...HOST_KEY_ALGORITHMS])];
}

function destination(settings: SshHostSettings): string {
  return `${settings.user}@${settings.hostName}:${settings.port}`;
}

/**
 * ConnectTimeout covers the key exchange too, as OpenSSH's does: a listener that accepts and never speaks
 * SSH fails then (authentication, which may wait for a passphrase, is not timed).
 */
function handshakeTimer(
  settings: SshHostSettings,
  fail: (error: EnvSyncError) => void,
): NodeJS.Timeout | undefined {
  const seconds = settings.connectTimeoutSeconds;
  if (seconds === undefined) return undefined;
  const where = `${settings.hostName}:${settings.port}`;
  return setTimeout(
    () =>
      fail(new EnvSyncError('E_REMOTE', `cannot connect to ${where}: no SSH handshake within ${seconds} s`)),
    seconds * 1000,
  );
}

/** TCP first, so that refused, unresolvable and timed-out connections are told apart. */
function openSocket(settings: SshHostSettings): Promise<net.Socket> {
  const where = `${settings.hostName}:${settings.port}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: settings.hostName, port: settings.port });
    const seconds = settings.connectTimeoutSeconds;
    const timer =
      seconds === undefined
        ? undefined
        : setTimeout(() => {
            socket.destroy();
            reject(new EnvSyncError('E_REMOTE', `cannot connect to ${where}: timed out after ${seconds} s`));
          }, seconds * 1000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new EnvSyncError('E_REMOTE', `cannot connect to ${where}: ${socketReason(error, settings.hostName)}`),
      );
    });
  });
}

function socketReason(error: NodeJS.ErrnoException, host: string): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NODATA':
      return `cannot resolve host name '${host}'`;
    case 'ETIMEDOUT':
      return 'timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return error.code ?? 'error';
  }
}

/** The one line for an ssh2 failure: the host key verdict or the auth reason if there is one. */
function connectionFailure(
  error: Error & { level?: string },
  settings: SshHostSettings,
  verifier: HostKeyVerifier,
  auth: SshAuthentication,
): EnvSyncError {
  const refused = verifier.refusal();
  if (refused !== null) return refused;
  const authFailure = auth.failure();
  if (authFailure !== null) return authFailure;
  if (error.level === 'client-authentication') {
    const tried = auth.tried.length === 0 ? 'no agent and no identity file' : auth.tried.join(', ');
    return new EnvSyncError('E_AUTH', `${destination(settings)}: authentication failed (tried: ${tried})`);
  }
  if (error.level === 'client-timeout')
    return new EnvSyncError('E_REMOTE', `${destination(settings)}: the SSH handshake timed out`);
  return new EnvSyncError('E_REMOTE', `${destination(settings)}: ${error.message.split('\n')[0]}`);
}
