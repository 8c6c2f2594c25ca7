/**
 * Typed errors with stable codes. Only the CLI maps a category to an exit code
 * (see src/cli/exit-codes.ts); everything else throws these and stays silent.
 */

/** The broad kind of failure; each maps to one documented exit code. */
export type ErrorCategory =
  | 'internal'
  | 'usage'
  | 'config'
  | 'conflict'
  | 'command'
  | 'remote'
  | 'network'
  | 'permission'
  | 'safety'
  | 'lock'
  | 'untrusted'
  | 'cancelled';

export class ArxError extends Error {
  /** Stable machine-readable code, e.g. CONFIG_INVALID. */
  readonly code: string;
  readonly category: ErrorCategory;
  /** Extra lines shown with --verbose. */
  readonly details: string[];
  /** A fault worth retrying (network blips). */
  readonly retryable: boolean;

  constructor(
    category: ErrorCategory,
    code: string,
    message: string,
    opts: { details?: string[]; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ArxError';
    this.category = category;
    this.code = code;
    this.details = opts.details ?? [];
    this.retryable = opts.retryable ?? false;
  }
}

export class UsageError extends ArxError {
  constructor(message: string, code = 'USAGE') {
    super('usage', code, message);
  }
}

export class ConfigError extends ArxError {
  constructor(message: string, code = 'CONFIG_INVALID', details: string[] = []) {
    super('config', code, message, { details });
  }
}

export class SafetyHaltError extends ArxError {
  constructor(message: string, code = 'SAFETY_HALT', details: string[] = []) {
    super('safety', code, message, { details });
  }
}

export class LockHeldError extends ArxError {
  constructor(message: string) {
    super('lock', 'LOCK_HELD', message);
  }
}

/** Another sync holds the remote lock (src/remote/lock.ts), past the time this one may wait. */
export class RemoteLockedError extends ArxError {
  constructor(message: string, code = 'REMOTE_LOCKED') {
    super('lock', code, message);
  }
}

/** This sync no longer holds the remote lock (taken over, removed, or its lease lapsed): it writes nothing more there. */
export class RemoteLockLostError extends ArxError {
  constructor(message: string) {
    super('lock', 'REMOTE_LOCK_LOST', message);
  }
}

export class RemoteError extends ArxError {
  constructor(message: string, code = 'REMOTE_ERROR', opts: { retryable?: boolean; cause?: unknown } = {}) {
    super('remote', code, message, opts);
  }
}

export class PermissionDeniedError extends ArxError {
  constructor(message: string, code = 'PERMISSION_DENIED') {
    super('permission', code, message);
  }
}

export class CancelledError extends ArxError {
  constructor(message = 'sync was cancelled') {
    super('cancelled', 'CANCELLED', message);
  }
}

/** A file changed between the scan and its transfer; the next sync picks it up. */
export class ChangedDuringSyncError extends ArxError {
  constructor(path: string) {
    super('remote', 'CHANGED_DURING_SYNC', `${path} changed while it was being synced; it will be synced next time`);
  }
}

/** A project file from the remote that may not land (see engine/arrivals.ts); the local version stays. */
export class ArrivalRefusedError extends ArxError {
  constructor(
    readonly path: string,
    readonly reason: string,
    /** The refused bytes, when they were read. */
    readonly data?: Buffer,
  ) {
    super('config', 'ARRIVAL_REFUSED', `${reason}; it was not placed in the project folder`);
  }
}

/**
 * A path crossed a symbolic link where a folder should be (swapped in during
 * the sync, or on the server): nothing was written or read through it.
 */
export class SymlinkInPathError extends ArxError {
  constructor(
    /** What arx was about to touch. */
    readonly target: string,
    /** The folder on its way that is a link, where known. */
    readonly link?: string,
  ) {
    super('remote', 'SYMLINK_IN_PATH', `${target} was left alone: ${link ?? 'a folder on its way'} is a symbolic link, and arx never writes or reads through one`);
  }
}

/** Node's errno-style error (ENOENT, EACCES, ...). */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

export function isNotFound(err: unknown): boolean {
  return errnoCode(err) === 'ENOENT';
}

/** Turn a filesystem error into a typed error naming the path and what to do. */
export function fsErrorToArx(err: unknown, what: string): ArxError {
  if (err instanceof ArxError) return err;
  const code = errnoCode(err);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new PermissionDeniedError(`permission denied: ${what}; check the file's owner and mode`);
    case 'ENOSPC':
      return new ArxError('remote', 'DISK_FULL', `no space left on device: ${what}; free some space and sync again`);
    case 'EROFS':
      return new PermissionDeniedError(`read-only file system: ${what}`, 'READ_ONLY');
    case 'ENOENT':
    case 'ENOTDIR':
      return new ArxError('remote', 'NOT_FOUND', `not found: ${what}`);
    case 'ELOOP':
      // Opened with O_NOFOLLOW: the last name is a symbolic link.
      return new ArxError('remote', 'SYMLINK_IN_PATH', `${what}: it is a symbolic link, and arx never writes or reads through one`);
    default: {
      const msg = err instanceof Error ? err.message : String(err);
      return new ArxError('remote', code ?? 'IO_ERROR', `${what}: ${msg}`, { cause: err });
    }
  }
}
