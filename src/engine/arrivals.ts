/**
 * Project files arriving from the remote are checked before they land: an
 * `arxfile.json` that would not load or an `.arxignore` with a line that is
 * not a usable pattern is refused (ArrivalRefusedError), so a replica never
 * trades a working configuration for a broken one. Applies to downloads,
 * replacements, a conflict settled for the remote version and merge results.
 */
import { PROJECT_FILE } from '../config/load.js';
import { projectFileProblem } from '../config/project-file-check.js';
import { ArrivalRefusedError } from '../errors.js';
import type { Action } from '../core/reconcile.js';
import type { Remote } from '../remote/types.js';
import { IGNORE_FILE, IGNORE_FILE_LIMIT } from '../scan/filter.js';
import { CONFIG_FILE_LIMIT, describeSize } from '../util/bounded-file.js';
import { describeLineProblems, ignoreLineProblems } from '../scan/patterns.js';
import type { BackupStore } from '../transfer/backups.js';

/** A checked file larger than this is refused unread: the most arx reads from that file locally (see bounded-file.ts). */
export function maxCheckedBytes(path: string): number {
  return path === PROJECT_FILE ? CONFIG_FILE_LIMIT : IGNORE_FILE_LIMIT;
}

/** The files arx reads its own settings from (top level only). */
export function isCheckedFile(path: string): boolean {
  return path === PROJECT_FILE || path === IGNORE_FILE;
}

/** Why this version of a checked file may not land (`what` names it, e.g. "the remote version of arxfile.json"), or undefined. */
export function checkedFileProblem(path: string, data: Buffer | string, what: string): string | undefined {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (path === PROJECT_FILE) return projectFileProblem(text, what);
  if (path === IGNORE_FILE) {
    const problems = ignoreLineProblems(text.split(/\r?\n/));
    if (problems.length === 0) return undefined;
    const lines = describeLineProblems(what, problems);
    return lines.length === 1 ? lines[0] : `${lines[0]} (and ${lines.length - 1} more)`;
  }
  return undefined;
}

/** The check the executor runs on remote data before writing it to the project folder. */
export const arrivalCheck = {
  applies: isCheckedFile,
  /** Throws ArrivalRefusedError (with the data) when this version may not land. */
  check(path: string, size: number, data?: Buffer): void {
    if (size > maxCheckedBytes(path)) throw new ArrivalRefusedError(path, `the remote version of ${path} is larger than ${describeSize(maxCheckedBytes(path))}`);
    if (data === undefined) return;
    const problem = checkedFileProblem(path, data, `the remote version of ${path}`);
    if (problem !== undefined) throw new ArrivalRefusedError(path, problem, data);
  },
};

export type ArrivalCheck = typeof arrivalCheck;

/** Dry run: the copies into the project folder that the checks would refuse (reads those files, writes nothing). */
export async function wouldRefuse(remote: Remote, actions: readonly Action[], sizeOf: (path: string) => number): Promise<ArrivalRefusedError[]> {
  const refused: ArrivalRefusedError[] = [];
  for (const a of actions) {
    if (a.type !== 'copy' || a.to !== 'local' || !isCheckedFile(a.path)) continue;
    try {
      arrivalCheck.check(a.path, sizeOf(a.path));
      const data = await remote.readAll(a.path);
      arrivalCheck.check(a.path, data.length, data);
    } catch (err) {
      if (err instanceof ArrivalRefusedError) refused.push(err);
      else throw err;
    }
  }
  return refused;
}

/** Keep a refused remote version in the backups (the bytes that were checked, else downloaded now). */
export async function keepRefused(backups: BackupStore, remote: Remote, err: ArrivalRefusedError): Promise<void> {
  if (err.data !== undefined) await backups.keepRemoteBytes(err.path, err.data);
  else await backups.keepRemote(remote, err.path);
}
