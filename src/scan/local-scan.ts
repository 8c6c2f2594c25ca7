/**
 * Scan the project folder: walk it, then hash only the files whose size,
 * mtime, ctime or inode differ both from what the base saw and from the stat
 * cache (which holds hashes of files the base does not vouch for).
 */
import pLimit from 'p-limit';
import { statMatches, type BaseEntry, type Entry } from '../core/entry.js';
import { ArxError } from '../errors.js';
import { hashLocalFile } from '../remote/local/local-remote.js';
import type { ListFilter } from '../remote/types.js';
import type { StatCacheEntry } from '../state/store.js';
import { STATE_DIR } from './filter.js';
import { walkTreeAside, type WalkedEntry, type WalkResult } from './walk.js';

export interface LocalScan extends Omit<WalkResult, 'entries'> {
  entries: Map<string, Entry>;
  /** Stat cache rows to write (new or re-hashed files). */
  statUpdates: Map<string, StatCacheEntry>;
  /** Stat cache rows no longer needed (file gone, or the base vouches for it). */
  statRemovals: string[];
  hashedFiles: number;
  hashedBytes: number;
}

/**
 * A file modified this recently may change again within the filesystem's
 * timestamp granularity without its stat changing: such a hash is not cached.
 * Whole-second mtimes suggest a coarse filesystem (FAT, some network mounts).
 */
function racyWindowMs(mtimeMs: number): number {
  return mtimeMs % 1000 === 0 ? 2000 : 100;
}

/** Start walking the project folder (on another thread when possible). */
export function walkProject(root: string, filter: ListFilter): Promise<WalkResult> {
  return walkTreeAside(root, { filter, skipTopLevel: new Set([STATE_DIR]) });
}

/** Give every walked file its hash: from the base, the stat cache, or by reading it. */
export async function scanLocal(
  root: string,
  walked: WalkResult,
  base: { get(path: string): BaseEntry | undefined },
  statCache: ReadonlyMap<string, StatCacheEntry>,
  opts: { now: number; onHash?: (path: string) => void },
): Promise<LocalScan> {
  // Walked entries become scan entries in place (hash added): no copies of large maps.
  const entries = walked.entries as Map<string, WalkedEntry & Entry>;
  const statUpdates = new Map<string, StatCacheEntry>();
  const limit = pLimit(8);
  const jobs: Promise<void>[] = [];
  let hashedFiles = 0;
  let hashedBytes = 0;

  const gone: string[] = [];
  const statRemovals: string[] = [];
  for (const [path, e] of entries) {
    if (e.kind === 'dir') continue;
    const b = base.get(path);
    if (b !== undefined && b.kind === 'file' && statMatches(b.local, e)) {
      e.hash = b.hash!;
      if (statCache.has(path)) statRemovals.push(path);
      continue;
    }
    const cached = statCache.get(path);
    if (cached && cached.size === e.size && cached.mtimeMs === e.mtimeMs && cached.ctimeMs === e.ctimeMs && cached.ino === e.ino) {
      e.hash = cached.hash;
      continue;
    }
    jobs.push(
      limit(async () => {
        opts.onHash?.(path);
        try {
          const hash = await hashLocalFile(`${root}/${path}`, e.size);
          hashedFiles++;
          hashedBytes += e.size;
          e.hash = hash;
          if (opts.now - e.mtimeMs > racyWindowMs(e.mtimeMs)) statUpdates.set(path, { size: e.size, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, ino: e.ino, hash });
        } catch (err) {
          // Vanished since the walk: it is simply gone. Unreadable: unknown, never "deleted".
          gone.push(path);
          if (!(err instanceof ArxError && err.code === 'NOT_FOUND')) walked.unreadable.push(path);
        }
      }),
    );
  }
  await Promise.all(jobs);
  for (const p of gone) entries.delete(p);
  for (const p of statCache.keys()) if (!entries.has(p)) statRemovals.push(p);
  return { ...walked, entries, statUpdates, statRemovals, hashedFiles, hashedBytes };
}
