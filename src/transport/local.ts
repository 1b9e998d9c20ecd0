// A repository on this machine (a path or file:// URL), served in-process over a pair of in-memory pipes:
// the same protocol bytes as every other transport, with no socket in between.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { EnvSyncError } from '../errors.ts';
import { openRepository, REPOSITORY_DIR, type Repository } from '../store/repository.ts';
import type { Service } from '../sync/messages.ts';
import { serveReceivePack } from '../sync/receive-pack.ts';
import type { Exchange, Transport } from '../sync/transport-interface.ts';
import { type ServeOptions, serveUploadPack } from '../sync/upload-pack.ts';

export function localPath(url: string): string {
  return path.resolve(url.startsWith('file://') ? fileURLToPath(url) : url);
}

/** Opens the repository exactly at `dir` (never a parent's, as openRepository would). */
export async function openRepositoryAt(dir: string, url: string): Promise<Repository> {
  const stat = await fs.stat(path.join(dir, REPOSITORY_DIR)).catch(() => null);
  if (stat === null || !stat.isDirectory()) {
    throw new EnvSyncError('E_REMOTE', `'${url}' is not an env-sync repository or bundle`);
  }
  return openRepository(dir);
}

export function localTransport(url: string, hooks: Pick<ServeOptions, 'beforeRefUpdates'> = {}): Transport {
  const dir = localPath(url);
  return {
    url,
    async connect(service: Service): Promise<Exchange> {
      const repo = await openRepositoryAt(dir, url);
      const toServer = new PassThrough();
      const toClient = new PassThrough();
      const serve = service === 'upload-pack' ? serveUploadPack : serveReceivePack;
      void serve(repo, toServer, toClient, { advertise: true, answer: true, ...hooks });
      return {
        incoming: toClient,
        outgoing: toServer,
        close() {
          toServer.destroy();
          toClient.destroy();
        },
      };
    },
  };
}
