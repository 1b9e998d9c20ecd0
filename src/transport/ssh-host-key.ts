// Strict host key checking, as OpenSSH does it: a known key passes; an unknown host is refused with its
// fingerprint unless the user accepts new hosts (then it is appended to known_hosts); a changed or revoked
// key is always refused, and known_hosts is never rewritten. A host that known_hosts trusts only through a
// `@cert-authority` line is refused too: ssh2 cannot check host certificates, and accepting its bare key
// would trust it on other grounds than the user chose.

import type { VerifyCallback } from 'ssh2';
import { EnvSyncError } from '../errors.ts';
import { notice } from '../notices.ts';
import type { SshHostSettings } from './ssh-config.ts';
import {
  appendKnownHost,
  fingerprint,
  type HostKeyStatus,
  hostKeyStatus,
  keyTypeOf,
  knownHostName,
  knownKeyTypes,
  readKnownHosts,
} from './ssh-known-hosts.ts';

export interface HostKeyVerifier {
  /** For ssh2's `hostVerifier`: called with the server's key blob. */
  readonly verify: (key: Buffer, callback: VerifyCallback) => void;
  /** The key types known_hosts holds for this host. */
  readonly knownTypes: readonly string[];
  /** Why the key was refused, once verify has refused it. */
  refusal(): EnvSyncError | null;
}

export async function hostKeyVerifier(
  settings: SshHostSettings,
  acceptNewHostKey: boolean,
): Promise<HostKeyVerifier> {
  const entries = await readKnownHosts(settings.knownHostsFiles);
  const name = knownHostName(settings.hostName, settings.port);
  const acceptNew = acceptNewHostKey || settings.strictHostKeyChecking === 'accept-new';
  let refused: EnvSyncError | null = null;
  const verify = (key: Buffer, callback: VerifyCallback): void => {
    const status = hostKeyStatus(entries, name, key);
    const offered = `${keyTypeOf(key)} ${fingerprint(key)}`;
    if (status.status === 'known') {
      callback(true);
      return;
    }
    if (status.status === 'unknown' && acceptNew) {
      const file = settings.knownHostsFiles[0]!;
      appendKnownHost(file, name, key).then(
        () => {
          notice(`added the host key of ${name} (${offered}) to ${file}`);
          callback(true);
        },
        (error: NodeJS.ErrnoException) => {
          refused = new EnvSyncError(
            'E_HOST_KEY',
            `cannot add the host key to ${file} (${error.code ?? 'error'})`,
          );
          callback(false);
        },
      );
      return;
    }
    refused = new EnvSyncError('E_HOST_KEY', refusalMessage(name, offered, status));
    callback(false);
  };
  return { verify, knownTypes: knownKeyTypes(entries, name), refusal: () => refused };
}

function refusalMessage(name: string, offered: string, status: HostKeyStatus): string {
  if (status.status === 'cert-authority') {
    return (
      `${name} is trusted through a @cert-authority line of known_hosts, and the built-in client cannot check ` +
      `host certificates; refusing (use the system's ssh: ENV_SYNC_SSH_COMMAND=ssh)`
    );
  }
  if (status.status === 'revoked')
    return `the host key of ${name} (${offered}) is revoked in known_hosts; refusing`;
  if (status.status === 'changed') {
    return (
      `the host key of ${name} has CHANGED: it offers ${offered}, known_hosts has ` +
      `${status.knownFingerprints.join(', ')}; refusing (if the host was reinstalled, remove its old line from known_hosts)`
    );
  }
  return (
    `the host key of ${name} is unknown (${offered}); if that is the right fingerprint, accept it with ` +
    `--accept-new-host-key or 'StrictHostKeyChecking accept-new' in ~/.ssh/config`
  );
}
