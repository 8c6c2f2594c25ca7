/**
 * Typed errors with stable codes. Only the CLI maps a category to an exit code
 * (see src/cli/exit-codes.ts); everything else throws these and stays silent.
 */
import { statfsSync } from 'node:fs';

/** The broad kind of failure; each maps to one documented exit code. */
export type ErrorCategory =
  | 'internal'
  | 'usage'
  | 'config'
  | 'conflict'
  | 'command'
  | 'remote'
  /** The project folder or its state (`.arx/`) on this machine: disk full, an I/O error. */
  | 'local'
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

/** Where a filesystem error happened: the project folder (with `.arx/`) or the remote. */
export type FsSide = 'local' | 'remote';

/**
 * Turn a filesystem error into a typed error naming the path and what to do.
 * `side` picks the category of faults that are neither permission nor usage
 * errors (not found, disk full, I/O): both map to exit 5.
 */
export function fsErrorToArx(err: unknown, what: string, side: FsSide = 'remote'): ArxError {
  if (err instanceof ArxError) return onSide(err, side);
  const code = errnoCode(err);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new PermissionDeniedError(`permission denied: ${what}; check the file's owner and mode`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new ArxError(side, 'DISK_FULL', `disk full (no space left on device): ${what}; free some space and sync again`);
    case 'SQLITE_FULL':
      return diskFullError(what);
    case 'EROFS':
      return new PermissionDeniedError(`read-only file system: ${what}`, 'READ_ONLY');
    case 'ENOENT':
    case 'ENOTDIR':
      return new ArxError(side, 'NOT_FOUND', `not found: ${what}`);
    case 'EILSEQ':
      // The file system accepts only names in its own encoding (vfat, a strict UTF-8 mount, some network shares).
      return new ArxError(side, 'NAME_NOT_STORABLE', `${what}: the file system refused the name (illegal byte sequence)`);
    case 'ELOOP':
      // Opened with O_NOFOLLOW: the last name is a symbolic link.
      return new ArxError(side, 'SYMLINK_IN_PATH', `${what}: it is a symbolic link, and arx never writes or reads through one`);
    default: {
      const msg = err instanceof Error ? err.message : String(err);
      return new ArxError(side, code ?? 'IO_ERROR', `${what}: ${msg}`, { cause: err });
    }
  }
}

/** A plain error of one side's category, as the other side's; typed subclasses and other categories stay as they are. */
export function onSide(err: ArxError, side: FsSide): ArxError {
  if (err.category === side || (err.category !== 'remote' && err.category !== 'local') || err.constructor !== ArxError) return err;
  return new ArxError(side, err.code, err.message, { details: err.details, retryable: err.retryable, cause: err.cause });
}

/** The codes of a full disk: the system's, and SQLite's. */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/**
 * Is this a full disk? Also an I/O error of SQLite (it reports a shared-memory
 * file that cannot grow as SQLITE_IOERR_*) while `dir`'s disk has no space left.
 */
export function isDiskFull(err: unknown, dir?: string): boolean {
  const code = errnoCode(err);
  if (code === undefined) return false;
  if (DISK_FULL_CODES.has(code)) return true;
  if (!code.startsWith('SQLITE_IOERR') || dir === undefined) return false;
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

/** A disk-full error of the project side; `what` names the path. */
export function diskFullError(what: string): ArxError {
  return new ArxError('local', 'DISK_FULL', `disk full (no space left on device): ${what}; free some space and sync again`);
}

/**
 * A thrown value that is not an ArxError, as one: a full disk is DISK_FULL on
 * the project side (`what` names where, e.g. its state folder, which is probed
 * for space); anything else unexpected is an internal error.
 */
export function unexpectedToArx(err: unknown, where?: { what: string; dir: string }): ArxError {
  if (err instanceof ArxError) return err;
  if (isDiskFull(err, where?.dir)) {
    const path = typeof err === 'object' && err !== null && 'path' in err && typeof err.path === 'string' ? err.path : undefined;
    return diskFullError(path ?? where?.what ?? 'writing to the disk');
  }
  return new ArxError('internal', 'INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}
