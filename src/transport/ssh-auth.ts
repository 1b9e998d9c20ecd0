// User authentication for the built-in SSH client, in OpenSSH's order: the agent (SSH_AUTH_SOCK) first, then
// each identity file. A key protected by a passphrase asks for it through the caller's prompt.

import { promises as fs } from 'node:fs';
import type { AnyAuthMethod, AuthHandlerMiddleware, NextAuthHandler, ParsedKey } from 'ssh2';
import { OpenSSHAgent, utils } from 'ssh2';
import { EnvSyncError } from '../errors.ts';

/** Asks for the passphrase of `file` (without echo), or throws if there is no terminal to ask on. */
export type AskPassphrase = (file: string) => Promise<string>;

export interface SshAuthOptions {
  readonly user: string;
  readonly identityFiles: readonly string[];
  /** Offer only the identity files, and agent keys that are one of them. */
  readonly identitiesOnly: boolean;
  readonly agentSocket: string | undefined;
  readonly askPassphrase: AskPassphrase;
}

export interface SshAuthentication {
  readonly handler: AuthHandlerMiddleware;
  /** The methods offered so far (`agent`, file names), for the message when all of them fail. */
  readonly tried: readonly string[];
  /** Why authentication stopped before the server said no (no terminal, wrong passphrase), if it did. */
  failure(): EnvSyncError | null;
}

export async function sshAuthentication(options: SshAuthOptions): Promise<SshAuthentication> {
  const files = await existingFiles(options.identityFiles);
  const steps: Array<{ label: string; method: () => Promise<AnyAuthMethod | null> }> = [];
  const socket = options.agentSocket;
  if (socket !== undefined && socket !== '') {
    steps.push({
      label: 'ssh-agent',
      method: async () => ({
        type: 'agent',
        username: options.user,
        agent: await agentFor(socket, files, options),
      }),
    });
  }
  for (const file of files) steps.push({ label: file, method: () => identityMethod(file, options) });
  const tried: string[] = [];
  let failure: EnvSyncError | null = null;
  const noMore = false as unknown as AnyAuthMethod;
  const handler = (_left: unknown, _partial: unknown, next: NextAuthHandler): void => {
    const offerNext = async (): Promise<void> => {
      for (let step = steps.shift(); step !== undefined; step = steps.shift()) {
        const method = await step.method();
        if (method === null) continue;
        tried.push(step.label);
        return next(method);
      }
      next(noMore);
    };
    offerNext().catch((error: unknown) => {
      failure = error instanceof EnvSyncError ? error : new EnvSyncError('E_AUTH', (error as Error).message);
      next(noMore);
    });
  };
  return { handler: handler as AuthHandlerMiddleware, tried, failure: () => failure };
}

async function existingFiles(files: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const file of files)
    if (
      await fs.stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      found.push(file);
  return found;
}

/** Passphrases asked for one key before giving up, as ssh's `NumberOfPasswordPrompts`. */
const PASSPHRASE_TRIES = 3;

/** The key of `file`, asking for its passphrase if it has one; null if it is not a private key ssh2 reads. */
async function identityMethod(file: string, options: SshAuthOptions): Promise<AnyAuthMethod | null> {
  const data = await fs.readFile(file);
  let key = utils.parseKey(data);
  if (key instanceof Error && /passphrase/i.test(key.message)) {
    for (let tries = 0; key instanceof Error && tries < PASSPHRASE_TRIES; tries++) {
      key = utils.parseKey(data, await options.askPassphrase(file));
    }
    if (key instanceof Error) {
      throw new EnvSyncError('E_AUTH', `wrong passphrase for ${file} (${PASSPHRASE_TRIES} tries)`);
    }
  }
  if (key instanceof Error) return null;
  return { type: 'publickey', username: options.user, key: firstKey(key) };
}

function firstKey(key: ParsedKey | ParsedKey[]): ParsedKey {
  return Array.isArray(key) ? key[0]! : key;
}

/**
 * The agent at `socket`; with IdentitiesOnly, one that lists only the keys of the identity files (found from
 * `<file>.pub`, as OpenSSH does for a key it cannot read without a passphrase).
 */
async function agentFor(
  socket: string,
  files: readonly string[],
  options: SshAuthOptions,
): Promise<OpenSSHAgent> {
  if (!options.identitiesOnly) return new OpenSSHAgent(socket);
  const allowed = new Set<string>();
  for (const file of files) {
    const text = await fs.readFile(`${file}.pub`, 'utf8').catch(() => null);
    const blob = text?.trim().split(/\s+/)[1];
    if (blob !== undefined) allowed.add(blob);
  }
  return new (class extends OpenSSHAgent {
    override getIdentities(callback: Parameters<OpenSSHAgent['getIdentities']>[0]): void {
      super.getIdentities((error, keys) =>
        callback(
          error,
          (keys as ParsedKey[] | undefined)?.filter((key) =>
            allowed.has(key.getPublicSSH().toString('base64')),
          ),
        ),
      );
    }
  })(socket);
}
