// known_hosts as OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): host patterns with wildcards and
// negation, hashed names (`|1|salt|hash`), `[host]:port`, several keys per host, `@revoked` keys, and the
// hosts `@cert-authority` lines vouch for (whose certificates the built-in client cannot check).

import { createHash, createHmac } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EnvSyncError } from '../errors.ts';

export interface KnownHostEntry {
  readonly revoked: boolean;
  /** A CA that signs host certificates for `patterns`, not a host key. */
  readonly certAuthority: boolean;
  readonly patterns: string;
  readonly keyType: string;
  /** The public key blob in SSH wire format (what the server sends). */
  readonly key: Buffer;
}

export type HostKeyStatus =
  | { readonly status: 'known' }
  | { readonly status: 'revoked' }
  | { readonly status: 'unknown' }
  /** No host key on record, but a `@cert-authority` line covers the host. */
  | { readonly status: 'cert-authority' }
  | { readonly status: 'changed'; readonly knownFingerprints: readonly string[] };

/** `host` on port 22, `[host]:port` otherwise: the name known_hosts lists a host under. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Entries of every file that exists, in order; unreadable lines are skipped, as OpenSSH does. */
export async function readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const entries: KnownHostEntry[] = [];
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw new EnvSyncError('E_CONFIG', `cannot read ${file} (${error.code ?? 'error'})`);
    });
    for (const line of text.split('\n')) {
      const entry = parseLine(line.trim());
      if (entry !== null) entries.push(entry);
    }
  }
  return entries;
}

function parseLine(line: string): KnownHostEntry | null {
  if (line === '' || line.startsWith('#')) return null;
  const fields = line.split(/\s+/);
  const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
  if (marker !== undefined && marker !== '@revoked' && marker !== '@cert-authority') return null;
  const [patterns, keyType, base64] = fields;
  if (patterns === undefined || keyType === undefined || base64 === undefined) return null;
  return {
    revoked: marker === '@revoked',
    certAuthority: marker === '@cert-authority',
    patterns,
    keyType,
    key: Buffer.from(base64, 'base64'),
  };
}

/** What known_hosts says of `key` offered by `hostName` (from knownHostName). */
export function hostKeyStatus(
  entries: readonly KnownHostEntry[],
  hostName: string,
  key: Buffer,
): HostKeyStatus {
  const forHost = entries.filter((entry) => matchesHost(entry.patterns, hostName));
  if (forHost.some((entry) => entry.revoked && entry.key.equals(key))) return { status: 'revoked' };
  const trusted = forHost.filter((entry) => !entry.revoked && !entry.certAuthority);
  if (trusted.some((entry) => entry.key.equals(key))) return { status: 'known' };
  // Any other key on record means the host changed, whatever its type: the client asks for a known type first.
  if (trusted.length === 0) {
    return { status: forHost.some((entry) => entry.certAuthority) ? 'cert-authority' : 'unknown' };
  }
  return { status: 'changed', knownFingerprints: trusted.map((entry) => fingerprint(entry.key)) };
}

/** The key types known_hosts holds for the host, to ask the server for one of those first. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], hostName: string): string[] {
  return [
    ...new Set(
      entries
        .filter((entry) => !entry.revoked && !entry.certAuthority && matchesHost(entry.patterns, hostName))
        .map((e) => e.keyType),
    ),
  ];
}

/** Appends `<host> <type> <base64>`, creating the file 0600 (and its directory 0700) if needed. */
export async function appendKnownHost(file: string, hostName: string, key: Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const existing = await fs.readFile(file, 'utf8').catch(() => '');
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await fs.appendFile(file, `${separator}${hostName} ${keyTypeOf(key)} ${key.toString('base64')}\n`, {
    mode: 0o600,
  });
}

/** The first string of the wire-format blob: `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`. */
export function keyTypeOf(key: Buffer): string {
  const length = key.length >= 4 ? key.readUInt32BE(0) : 0;
  return key.subarray(4, 4 + length).toString('latin1');
}

/**
 * A comma-separated pattern list matches if one pattern matches and no negated (`!`) one does; a hashed
 * entry is HMAC-SHA1 of the name under its salt.
 */
function matchesHost(patterns: string, hostName: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (salt === undefined || hash === undefined) return false;
    const expected = createHmac('sha1', Buffer.from(salt, 'base64')).update(hostName).digest('base64');
    return expected === hash;
  }
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    if (!wildcardMatch(negated ? pattern.slice(1) : pattern, hostName)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(name);
}
