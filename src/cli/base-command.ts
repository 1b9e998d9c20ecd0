// The base of every env-sync command: one-line errors on stderr with stable exit codes, repository lookup,
// and small output helpers. Commands stay thin: they parse options and call model/store functions.

import { type BaseContext, Command, UsageError } from 'clipanion';
import { EnvSyncError } from '../errors.ts';
import type { Session } from '../model/environment.ts';
import { openRepository, type Repository } from '../store/repository.ts';
import { createSession, thisPeerId } from './session.ts';

/** What a command gets besides the standard streams. */
export interface EnvSyncContext extends BaseContext {
  /**
   * Whether `run` may replace this process with its command. Only bin/env-sync.js says so: a CLI run inside
   * another program (a test) must not give that program's process away.
   */
  readonly mayReplaceProcess?: boolean;
}

export abstract class EnvSyncCommand extends Command<EnvSyncContext> {
  /** Set when execute() failed; main() turns it into the process exit code. */
  failure: { exitCode: number } | null = null;

  override async catch(error: unknown): Promise<void> {
    const { message, exitCode } = describeError(error);
    this.context.stderr.write(`env-sync: ${message}\n`);
    if (process.env.ENV_SYNC_DEBUG === '1' && error instanceof Error && error.stack) {
      this.context.stderr.write(`${error.stack}\n`);
    }
    this.failure = { exitCode };
  }

  protected openRepository(): Promise<Repository> {
    return openRepository(process.cwd());
  }

  /** The repository, this peer's identity and the snapshot codec its mode calls for. */
  protected async openSession(): Promise<Session> {
    return createSession(await this.openRepository());
  }

  /** The peer id of this machine's identity (created on first need): authors commits, signs reflogs. */
  protected currentPeerId(): Promise<string> {
    return thisPeerId();
  }

  protected print(text: string): void {
    this.context.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  }

  protected printJson(value: unknown): void {
    this.context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  protected warn(text: string): void {
    this.context.stderr.write(`env-sync: warning: ${text}\n`);
  }
}

export function describeError(error: unknown): { message: string; exitCode: number } {
  if (error instanceof EnvSyncError) return { message: firstLine(error.message), exitCode: error.exitCode };
  if (error instanceof UsageError || (error as { clipanion?: unknown })?.clipanion !== undefined) {
    return { message: firstLine((error as Error).message), exitCode: 2 };
  }
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    const { syscall, path } = error as NodeJS.ErrnoException;
    const what = SYSTEM_ERRORS[code] === undefined ? code : `${SYSTEM_ERRORS[code]} (${code})`;
    return {
      message: `${what}${syscall ? ` during ${syscall}` : ''}${path ? ` of '${path}'` : ''}`,
      exitCode: 1,
    };
  }
  return {
    message: `internal error: ${firstLine(String((error as Error)?.message ?? error))}`,
    exitCode: 70,
  };
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? 'unknown error'
  );
}

/** The system errors a user meets, in words; the code stays beside them for a search. */
const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EMFILE: 'too many open files',
};
