/**
 * Scan the project folder: walk it, then hash only the files whose size,
 * mtime, ctime or inode differ from the stat cache.
 */
import pLimit from 'p-limit';
import type { Entry } from '../core/entry.js';
import { ArxError } from '../errors.js';
import { hashLocalFile } from '../remote/local/local-remote.js';
import type { ListFilter } from '../remote/types.js';
import type { StatCacheEntry } from '../state/store.js';
import { STATE_DIR } from './filter.js';
import { walkTree, type WalkResult } from './walk.js';

export interface LocalScan extends Omit<WalkResult, 'entries'> {
  entries: Map<string, Entry>;
  /** Stat cache rows to write (new or re-hashed files). */
  statUpdates: Map<string, StatCacheEntry>;
  /** Stat cache rows of files that no longer exist. */
  statRemovals: string[];
  hashedFiles: number;
  hashedBytes: number;
}

/** A file modified this recently may change again within the mtime granularity: not cached. */
const RACY_MS = 2000;

export async function scanLocal(
  root: string,
  filter: ListFilter,
  statCache: ReadonlyMap<string, StatCacheEntry>,
  opts: { now: number; onHash?: (path: string) => void },
): Promise<LocalScan> {
  const walked = await walkTree(root, { filter, skipTopLevel: new Set([STATE_DIR]) });
  const entries = new Map<string, Entry>();
  const statUpdates = new Map<string, StatCacheEntry>();
  const limit = pLimit(8);
  const jobs: Promise<void>[] = [];
  let hashedFiles = 0;
  let hashedBytes = 0;

  for (const [path, e] of walked.entries) {
    if (e.kind === 'dir') {
      entries.set(path, { kind: 'dir' });
      continue;
    }
    const cached = statCache.get(path);
    if (cached && cached.size === e.size && cached.mtimeMs === e.mtimeMs && cached.ctimeMs === e.ctimeMs && cached.ino === e.ino) {
      entries.set(path, { kind: 'file', size: e.size, mtimeMs: e.mtimeMs, hash: cached.hash });
      continue;
    }
    jobs.push(
      limit(async () => {
        opts.onHash?.(path);
        try {
          const hash = await hashLocalFile(`${root}/${path}`, e.size);
          hashedFiles++;
          hashedBytes += e.size;
          entries.set(path, { kind: 'file', size: e.size, mtimeMs: e.mtimeMs, hash });
          if (opts.now - e.mtimeMs > RACY_MS) statUpdates.set(path, { size: e.size, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, ino: e.ino, hash });
        } catch (err) {
          // Vanished since the walk: it is simply gone. Unreadable: unknown, never "deleted".
          if (err instanceof ArxError && err.code === 'NOT_FOUND') return;
          walked.unreadable.push(path);
        }
      }),
    );
  }
  await Promise.all(jobs);
  const statRemovals = [...statCache.keys()].filter((p) => !walked.entries.has(p));
  return { ...walked, entries, statUpdates, statRemovals, hashedFiles, hashedBytes };
}
