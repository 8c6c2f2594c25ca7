/**
 * One sync per project at a time. The lock is an exclusive SQLite
 * transaction on `.arx/lock.db`: the operating system drops it when the
 * holder exits or is killed, so a lock left by a dead process is taken over
 * at once. `.arx/lock.json` says who holds it, for the error message.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { diskFullError, errnoCode, fsErrorToArx, isDiskFull, LockHeldError, PermissionDeniedError } from '../errors.js';

export interface LockInfo {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export class ProjectLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly infoFile: string,
  ) {}

  /** Take the lock or throw LockHeldError naming the holder. */
  static acquire(stateDir: string, command: string, now: Date): ProjectLock {
    let db: Database.Database;
    try {
      // Not recursive: the project folder exists, and a recursive mkdir reports a read-only disk as ENOENT.
      mkdirSync(stateDir, { recursive: false });
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw fsErrorToArx(err, `creating the project's state folder ${stateDir}`, 'local');
    }
    try {
      db = new Database(join(stateDir, 'lock.db'), { timeout: 0 });
    } catch (err) {
      throw fsErrorToArx(err, `opening the project lock in ${stateDir}`, 'local');
    }
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if (errnoCode(err) === 'SQLITE_BUSY' || errnoCode(err) === 'SQLITE_LOCKED') throw new LockHeldError(describeHolder(join(stateDir, 'lock.json')));
      if (isDiskFull(err, stateDir)) throw diskFullError(`locking the project (${stateDir}/lock.db)`);
      throw new PermissionDeniedError(`cannot lock the project (${stateDir}/lock.db): ${err instanceof Error ? err.message : String(err)}; check the folder's permissions`, 'LOCK_UNAVAILABLE');
    }
    const infoFile = join(stateDir, 'lock.json');
    const info: LockInfo = { pid: process.pid, host: hostname(), since: now.toISOString(), command };
    try {
      writeFileSync(infoFile, JSON.stringify(info) + '\n');
    } catch {
      // Only informative (who holds the lock); the lock itself is held.
    }
    return new ProjectLock(db, infoFile);
  }

  release(): void {
    try {
      writeFileSync(this.infoFile, '');
    } catch {
      // The lock itself is what matters; the note is only informative.
    }
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.close();
  }
}

function describeHolder(infoFile: string): string {
  try {
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as LockInfo;
    return `another arx (${info.command}, pid ${info.pid} on ${info.host}, since ${info.since}) is working on this project; wait for it to finish`;
  } catch {
    return 'another arx is working on this project; wait for it to finish';
  }
}
