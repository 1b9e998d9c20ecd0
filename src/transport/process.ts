// A server reached through a child process's stdin and stdout: `env-sync upload-pack <path>` locally, or the
// same command run by the system's `ssh` (ENV_SYNC_SSH_COMMAND). The child's stderr is passed through to ours.

import { spawn } from 'node:child_process';
import { EnvSyncError } from '../errors.ts';
import type { Service } from '../sync/messages.ts';
import type { Exchange, Transport } from '../sync/transport-interface.ts';

/** `command` is argv[0..n]; the service name and the repository path are appended. */
export function processTransport(url: string, command: readonly string[], repoPath: string): Transport {
  return {
    url,
    async connect(service: Service): Promise<Exchange> {
      return spawnExchange([...command, service, repoPath]);
    },
  };
}

/**
 * What to say when the child exits with `code` having written nothing: the reason its stdout was empty.
 * Null leaves the empty answer to the protocol, which reports it.
 */
export type SilentExit = (code: number | null) => EnvSyncError | null;

export function spawnExchange(argv: readonly string[], onSilentExit: SilentExit = () => null): Exchange {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) =>
      reject(
        new EnvSyncError(
          'E_REMOTE',
          `cannot start '${argv[0]}': ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        ),
      ),
    );
    child.once('close', (code) => resolve(code));
  });
  exited.catch(() => {});
  child.stdin.on('error', () => {});
  return {
    incoming: untilExit(child.stdout, exited, onSilentExit),
    outgoing: child.stdin,
    close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

/**
 * Yields what `stream` carries; a failure to start ends it at once. Once it ends with nothing read, waits for
 * the exit status and raises what `onSilentExit` makes of it.
 */
export async function* untilExit(
  stream: NodeJS.ReadableStream,
  exited: Promise<number | null>,
  onSilentExit: SilentExit,
): AsyncGenerator<Uint8Array> {
  const failed = exited.then(() => new Promise<never>(() => {}));
  failed.catch(() => {});
  const iterator = stream[Symbol.asyncIterator]();
  let silent = true;
  for (;;) {
    const result = await Promise.race([iterator.next(), failed]);
    if (result.done) break;
    silent = false;
    yield result.value as Uint8Array;
  }
  if (!silent) return;
  const failure = onSilentExit(await exited);
  if (failure !== null) throw failure;
}
