/**
 * What a sync left out, by path: one warning per kind and side naming the
 * first paths, and the structured list of the status JSON (`skipped`).
 */
import { showPath } from '../util/path-bytes.js';

export type SkipReason = 'symlink' | 'special' | 'too-large' | 'unreadable' | 'case-clash' | 'name-not-storable';

export interface SkippedPath {
  path: string;
  side: 'local' | 'remote';
  why: SkipReason;
}

/** Paths named in one warning; the rest are counted ("and N more"). */
export const PATHS_PER_WARNING = 10;
/** Entries in the status JSON's `skipped` (the warnings still count every path). */
export const SKIPPED_IN_STATUS = 1000;

const SIDE = { local: 'in the project folder', remote: 'on the remote' } as const;

/** "a, b, c and 4 more" (paths shown escaped, see showPath). */
export function namePaths(paths: readonly string[], limit = PATHS_PER_WARNING): string {
  const shown = paths.slice(0, limit).map(showPath).join(', ');
  return paths.length > limit ? `${shown} and ${paths.length - limit} more` : shown;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The warning for one kind on one side (`paths` not empty). */
export function skippedWarning(why: SkipReason, side: 'local' | 'remote', paths: readonly string[], detail?: string): string {
  const n = paths.length;
  const where = SIDE[side];
  const list = namePaths(paths);
  switch (why) {
    case 'symlink':
      return `${plural(n, 'symbolic link', 'symbolic links')} ${where} ${n === 1 ? 'was' : 'were'} skipped (links are not followed): ${list}`;
    case 'special':
      return `${plural(n, 'special file', 'special files')} (FIFO, socket or device) ${where} ${n === 1 ? 'was' : 'were'} skipped: ${list}`;
    case 'too-large':
      return `${plural(n, 'file', 'files')} ${where} ${n === 1 ? 'was' : 'were'} left out for being larger than sync.max_file_size${detail ? ` (${detail})` : ''}: ${list}`;
    case 'unreadable':
      return `${plural(n, 'path', 'paths')} ${where} could not be read and ${n === 1 ? 'was' : 'were'} left alone: ${list}`;
    case 'case-clash':
      return `${plural(n, 'name', 'names')} differ only in case or accents and cannot live together in the project folder (it ignores case); rename one of each on the remote (left alone): ${list}`;
    case 'name-not-storable':
      return `${plural(n, 'name', 'names')} could not be stored ${where}${detail ? ` (${detail})` : ''} and ${n === 1 ? 'was' : 'were'} skipped: ${list}`;
  }
}

/** Collects what was skipped, then yields the warnings and the capped list. */
export class SkippedPaths {
  private readonly groups = new Map<string, { why: SkipReason; side: 'local' | 'remote'; paths: string[]; detail?: string }>();

  add(why: SkipReason, side: 'local' | 'remote', paths: Iterable<string>, detail?: string): void {
    const key = `${why} ${side}`;
    let g = this.groups.get(key);
    for (const path of paths) {
      if (g === undefined) this.groups.set(key, (g = { why, side, paths: [], detail }));
      g.paths.push(path);
    }
  }

  warnings(): string[] {
    return this.sorted().map((g) => skippedWarning(g.why, g.side, g.paths, g.detail));
  }

  /** The groups, each one's paths in order (listings meet them in disk order). */
  private sorted() {
    const groups = [...this.groups.values()];
    for (const g of groups) g.paths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return groups;
  }

  /** Every skipped path (shown escaped), up to SKIPPED_IN_STATUS. */
  list(): SkippedPath[] {
    const out: SkippedPath[] = [];
    for (const g of this.sorted()) {
      for (const path of g.paths) {
        if (out.length === SKIPPED_IN_STATUS) return out;
        out.push({ path: showPath(path), side: g.side, why: g.why });
      }
    }
    return out;
  }
}
