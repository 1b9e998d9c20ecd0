// Typed errors with stable codes. The CLI prints `env-sync: <message>` and exits with `exitCode`;
// messages are written for the user and never contain a secret value.

export type ErrorCode =
  | 'E_USAGE'
  | 'E_NOT_A_REPOSITORY'
  | 'E_REPOSITORY_EXISTS'
  | 'E_OBJECT_CORRUPT'
  | 'E_OBJECT_MISSING'
  | 'E_OBJECT_TOO_LARGE'
  | 'E_OBJECT_TYPE'
  | 'E_PACK_CORRUPT'
  | 'E_NON_CANONICAL'
  | 'E_BAD_REVISION'
  | 'E_AMBIGUOUS'
  | 'E_REF_NAME'
  | 'E_REF_CONFLICT'
  | 'E_REF_LOCKED'
  | 'E_REF_CORRUPT'
  | 'E_CONFIG'
  | 'E_MODE'
  | 'E_KEY_NAME'
  | 'E_KEY_MISSING'
  | 'E_EMPTY_VALUE'
  | 'E_DOTENV_PARSE'
  | 'E_DOTENV_UNREPRESENTABLE'
  | 'E_IDENTITY'
  | 'E_BACKUP'
  | 'E_RECIPIENT_INVALID'
  | 'E_PUBLIC_KEY_INVALID'
  | 'E_KEY_PERMISSIONS'
  | 'E_DECRYPT'
  | 'E_NOT_RECIPIENT'
  | 'E_PROTOCOL'
  | 'E_REMOTE'
  | 'E_GROUP_MISMATCH'
  | 'E_MODE_MISMATCH'
  | 'E_NON_FAST_FORWARD'
  | 'E_MERGE_CONFLICT'
  | 'E_EVENT_INVALID'
  | 'E_EVENT_UNAUTHORIZED'
  | 'E_EVENT_REPLAY'
  | 'E_PEER_REVOKED'
  | 'E_PEER_UNKNOWN'
  | 'E_READ_ONLY'
  | 'E_MEMBERS_ROLLBACK'
  | 'E_COMMIT_UNSIGNED'
  | 'E_NOT_PASSABLE'
  | 'E_IO'
  | 'E_HOST_KEY'
  | 'E_AUTH'
  | 'E_NAME_TAKEN';

/** Base of every error env-sync raises on purpose. `code` is stable: tests and callers match on it. */
export class EnvSyncError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EnvSyncError';
    this.code = code;
    this.exitCode = options.exitCode ?? (code === 'E_USAGE' ? 2 : 1);
  }
}

export function isEnvSyncError(error: unknown, code?: ErrorCode): error is EnvSyncError {
  return error instanceof EnvSyncError && (code === undefined || error.code === code);
}
