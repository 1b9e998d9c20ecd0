// Bundles: a file holding what an upload-pack server would send to a client with nothing (a magic line, the
// advertisement, the pack), for air-gapped machines. A bundle path works as a read-only fetch URL.

import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { EnvSyncError } from '../errors.ts';
import { branchRef } from '../store/ref-names.ts';
import type { Repository } from '../store/repository.ts';
import { buildAdvertisement } from '../sync/advertise.ts';
import type { BeforeRefMoves } from '../sync/fetch.ts';
import { encodeFrame } from '../sync/frames.ts';
import { advertisementFrame } from '../sync/messages.ts';
import { type PackStats, writePack } from '../sync/pack-writer.ts';
import { writeChunk } from '../sync/stream-write.ts';
import type { Exchange, Transport } from '../sync/transport-interface.ts';
import { objectsToSend } from '../sync/walk.ts';

export const BUNDLE_MAGIC = Buffer.from('# env-sync bundle v1\n');

export async function isBundleFile(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r').catch(() => null);
  if (handle === null) return false;
  try {
    const head = Buffer.alloc(BUNDLE_MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(BUNDLE_MAGIC);
  } finally {
    await handle.close();
  }
}

/** Writes every object reachable from the chosen environments (all when `envs` is empty), atomically. */
export async function createBundle(
  repo: Repository,
  file: string,
  envs: readonly string[],
): Promise<PackStats & { refs: number }> {
  const ad = await buildAdvertisement(repo, 'bundle');
  const wanted = envs.map((env) => branchRef(env));
  for (const ref of wanted) {
    if (!ad.refs.some((r) => r.name === ref))
      throw new EnvSyncError('E_BAD_REVISION', `no environment '${ref.slice(11)}' to bundle`);
  }
  const refs = wanted.length === 0 ? ad.refs : ad.refs.filter((r) => wanted.includes(r.name));
  const bundleAd = { ...ad, refs, head: refs.some((r) => r.name === ad.head) ? ad.head : null };
  const tips = refs.map((r) => r.id);
  if (ad.members !== null) tips.push(ad.members, ...ad.memberForks);
  const ids = await objectsToSend(repo, tips, []);
  const temp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  const out = createWriteStream(temp, { mode: 0o600, flags: 'wx' });
  try {
    await writeChunk(out, BUNDLE_MAGIC);
    await writeChunk(out, encodeFrame(advertisementFrame(bundleAd)));
    const stats = await writePack(repo, ids, out, { verify: true });
    await new Promise<void>((resolve, reject) =>
      out.closed ? resolve() : out.once('close', resolve).once('error', reject),
    );
    await fs.rename(temp, file);
    return { ...stats, refs: refs.length };
  } catch (error) {
    out.destroy();
    await fs.rm(temp, { force: true });
    throw error;
  }
}

export function bundleTransport(url: string, file: string): Transport {
  return {
    url,
    async connect(service): Promise<Exchange> {
      if (service !== 'upload-pack') {
        throw new EnvSyncError('E_REMOTE', `'${url}' is a bundle: it can be fetched from, not pushed to`);
      }
      if (!(await isBundleFile(file)))
        throw new EnvSyncError('E_REMOTE', `'${url}' is not an env-sync bundle`);
      const stream = createReadStream(file, { start: BUNDLE_MAGIC.length });
      return { incoming: stream, outgoing: null, close: () => stream.destroy() };
    },
  };
}

export interface BundleReport {
  readonly objects: number;
  readonly refs: readonly { name: string; id: string }[];
  readonly group: string;
  readonly mode: string;
}

/**
 * Verifies a bundle completely (every hash, encoding, reference and tip) by fetching it into a scratch
 * repository that is deleted afterwards; `check` runs there as before a fetch's ref moves (membership).
 */
export async function verifyBundle(
  file: string,
  scratchDir: string,
  check?: BeforeRefMoves,
): Promise<BundleReport> {
  const [{ initRepository }, { DEFAULT_SYNC_LIMITS }, { openUpload, fetchObjects }] = await Promise.all([
    import('../store/repository.ts'),
    import('../sync/limits.ts'),
    import('../sync/fetch.ts'),
  ]);
  const open = await openUpload(bundleTransport(file, file), DEFAULT_SYNC_LIMITS, `bundle '${file}'`);
  try {
    const { mode, group, groupNonce } = open.ad;
    const repo = await initRepository(scratchDir, { mode, group, groupNonce });
    const stats = await fetchObjects(repo, open, DEFAULT_SYNC_LIMITS);
    await check?.(repo, open.ad, stats.events);
    return { objects: stats.objects, refs: open.ad.refs, group: open.ad.group, mode: open.ad.mode };
  } finally {
    open.exchange.close();
    await fs.rm(scratchDir, { recursive: true, force: true });
  }
}
