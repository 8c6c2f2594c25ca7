/**
 * Hash the project's files: a file whose size, mtime, ctime and inode match
 * what the base saw has the base's content; else one matching the stat cache
 * (hashes of files the base does not vouch for) has the cached hash; only the
 * rest are read.
 */
import { isRacy, statMatches, type FileEntry } from '../core/entry.js';
import type { PathState } from '../core/reconcile.js';
import { ArxError } from '../errors.js';
import { hashLocalFile } from '../remote/local/local-remote.js';
import type { KnownBase, ListFilter } from '../remote/types.js';
import type { StatCacheEntry } from '../state/store.js';
import { STATE_DIR } from './filter.js';
import { inLanes } from '../util/lanes.js';
import { walkLocal } from './find-walk.js';
import type { CompactWalk } from './walk.js';
import { fsPath } from '../util/path-bytes.js';

export interface LocalHashing {
  /** Files hashed now whose hash may be cached (their stat is in their state's local entry). */
  statUpdates: string[];
  /** Stat cache rows no longer needed (file gone, or the base vouches for it). */
  statRemovals: string[];
  /** Files that could not be read: their state is unknown. */
  unreadable: string[];
  hashedFiles: number;
  hashedBytes: number;
}

/** Walk the project folder with ctime and inode (see walkLocal; `aside`: a walk in Node runs on another thread). */
export function walkProject(root: string, filter: ListFilter, aside: boolean, known?: KnownBase): Promise<CompactWalk> {
  return walkLocal(root, { filter, skipTopLevel: new Set([STATE_DIR]), known }, true, aside);
}

type LocalFile = FileEntry & { ctimeMs?: number; ino?: number };

/**
 * Give every local file in `states` its hash, except those `skip` names (whose content
 * no decision needs). A file that vanished meanwhile is removed from its state.
 */
export async function hashLocalFiles(
  root: string,
  states: Map<string, PathState>,
  statCache: ReadonlyMap<string, StatCacheEntry>,
  opts: { now: number; skip?: (s: PathState) => boolean },
): Promise<LocalHashing> {
  const result: LocalHashing = { statUpdates: [], statRemovals: [], unreadable: [], hashedFiles: 0, hashedBytes: 0 };
  const toHash: PathState[] = [];
  for (const s of states.values()) {
    const e = s.local as LocalFile | undefined;
    if (e?.kind !== 'file') continue;
    const b = s.base;
    if (b !== undefined && b.kind === 'file' && statMatches(b.local, e)) {
      e.hash = b.hash!;
      if (statCache.has(s.path)) result.statRemovals.push(s.path);
      continue;
    }
    const cached = statCache.get(s.path);
    if (cached && cached.size === e.size && cached.mtimeMs === e.mtimeMs && cached.ctimeMs === e.ctimeMs && cached.ino === e.ino) {
      e.hash = cached.hash;
      continue;
    }
    if (opts.skip?.(s)) continue;
    toHash.push(s);
  }
  await inLanes(toHash, 8, async (s) => {
    const e = s.local as LocalFile;
    try {
      e.hash = await hashLocalFile(fsPath(`${root}/${s.path}`), e.size);
      result.hashedFiles++;
      result.hashedBytes += e.size;
      if (!isRacy(e.mtimeMs, opts.now)) result.statUpdates.push(s.path);
    } catch (err) {
      // Vanished since the walk: it is simply gone. Unreadable: unknown, never "deleted".
      if (err instanceof ArxError && err.code === 'NOT_FOUND') s.local = undefined;
      else result.unreadable.push(s.path);
    }
  });
  for (const p of statCache.keys()) if (states.get(p)?.local === undefined) result.statRemovals.push(p);
  return result;
}
