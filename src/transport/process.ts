// A server reached through a child process's stdin and stdout: `env-sync upload-pack <path>` locally now, and
// the same command over an SSH exec channel later. The child's stderr is passed through to ours.

import { spawn } from 'node:child_process';
import { EnvSyncError } from '../errors.ts';
import type { Service } from '../sync/messages.ts';
import type { Exchange, Transport } from '../sync/transport-interface.ts';

/** `command` is argv[0..n]; the service name and the repository path are appended. */
export function processTransport(url: string, command: readonly string[], repoPath: string): Transport {
  return {
    url,
    async connect(service: Service): Promise<Exchange> {
      const child = spawn(command[0]!, [...command.slice(1), service, repoPath], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const failed = new Promise<never>((_, reject) => {
        child.once('error', (error) =>
          reject(
            new EnvSyncError(
              'E_REMOTE',
              `cannot start '${command[0]}': ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
            ),
          ),
        );
      });
      failed.catch(() => {});
      child.stdin.on('error', () => {});
      return {
        incoming: raceFirst(child.stdout, failed),
        outgoing: child.stdin,
        close() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        },
      };
    },
  };
}

async function* raceFirst(stream: NodeJS.ReadableStream, failed: Promise<never>): AsyncGenerator<Uint8Array> {
  const iterator = stream[Symbol.asyncIterator]();
  for (;;) {
    const result = await Promise.race([iterator.next(), failed]);
    if (result.done) return;
    yield result.value as Uint8Array;
  }
}
