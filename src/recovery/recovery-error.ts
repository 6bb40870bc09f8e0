/**
 * The recovery tools' one error type: a stable code, the exit code the CLI ends with, a
 * message saying what is wrong and a hint saying what to do. The cause is always kept.
 */

/** Exit codes every recovery command documents. */
export const EXIT_CODES = {
  /** Done, or nothing wrong found. */
  ok: 0,
  /** Damage found (check), or a snapshot whose checksums fail (verify, restore). */
  damage: 1,
  /** Bad input or an unusable environment (bad option or date, BACKUP_DIR, disk full, lock). */
  usage: 2,
} as const;

export const RECOVERY_ERROR_CODES = {
  'usage:date': EXIT_CODES.usage,
  'usage:time': EXIT_CODES.usage,
  'usage:type': EXIT_CODES.usage,
  'usage:argument': EXIT_CODES.usage,
  'not_found:snapshot': EXIT_CODES.usage,
  'not_found:data': EXIT_CODES.usage,
  'env:backup_dir': EXIT_CODES.usage,
  'env:no_space': EXIT_CODES.usage,
  'env:not_writable': EXIT_CODES.usage,
  'env:lock': EXIT_CODES.usage,
  'env:io': EXIT_CODES.usage,
  /** PostgreSQL mode: pg_dump, pg_restore or psql missing. */
  'env:postgres_tools': EXIT_CODES.usage,
  /** PostgreSQL mode: the database refused or failed the operation. */
  'env:postgres': EXIT_CODES.usage,
  'integrity:checksum': EXIT_CODES.damage,
  'integrity:manifest': EXIT_CODES.damage,
  /** A manifest path that would leave the data directory or the snapshot. */
  'integrity:path': EXIT_CODES.damage,
} as const satisfies Record<string, number>;

export type RecoveryErrorCode = keyof typeof RECOVERY_ERROR_CODES;

export class RecoveryError extends Error {
  override readonly name = 'RecoveryError';
  readonly code: RecoveryErrorCode;
  readonly exitCode: number;
  /** What the operator should do about it (one short sentence). */
  readonly hint: string | undefined;

  constructor(code: RecoveryErrorCode, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.exitCode = RECOVERY_ERROR_CODES[code];
    this.hint = options.hint;
  }

  /** The one line the CLI prints: what is wrong, then what to do. */
  line(): string {
    return this.hint ? `${this.message}: ${this.hint}` : this.message;
  }
}

/** True when `value` is a RecoveryError. */
export function isRecoveryError(value: unknown): value is RecoveryError {
  return value instanceof RecoveryError;
}

/**
 * A file-system error → a RecoveryError naming the path and what to do, so a full disk or
 * a read-only directory becomes one clear line instead of a stack trace.
 */
export function fromFileSystemError(error: unknown, options: { action: string; path: string }): RecoveryError {
  if (isRecoveryError(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${options.action} ${options.path}`;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new RecoveryError('env:no_space', `No space left on the device while trying to ${where}`, {
        cause: error,
        hint: 'free some disk space (or point the directory elsewhere) and run the command again',
      });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new RecoveryError('env:not_writable', `Permission denied while trying to ${where}`, {
        cause: error,
        hint: 'make it writable by this user (or point the directory elsewhere) and run the command again',
      });
    case 'ENOTDIR':
      return new RecoveryError('env:io', `A path component is not a directory while trying to ${where}`, {
        cause: error,
        hint: 'check the configured directories',
      });
    default:
      return new RecoveryError('env:io', `Could not ${where}: ${(error as Error | undefined)?.message ?? String(error)}`, {
        cause: error,
      });
  }
}
