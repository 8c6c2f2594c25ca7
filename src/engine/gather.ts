/**
 * Gather what reconcile needs: the base, the project folder and the remote
 * listing, joined by path into one map (one key string and one state object
 * per path, so large projects stay small in memory). The remote listing is
 * started first so it runs while the project folder is scanned.
 */
import pLimit from 'p-limit';
import { PROJECT_FILE } from '../config/load.js';
import { knownRemoteHash, type Entry, type Side } from '../core/entry.js';
import { needsRemoteHash, type PathState } from '../core/reconcile.js';
import type { SafetyCounts } from '../core/safety.js';
import { ArxError } from '../errors.js';
import type { ListResult } from '../remote/types.js';
import type { PathFilter } from '../scan/filter.js';
import { scanLocal, walkProject, type LocalScan } from '../scan/local-scan.js';
import type { Session } from './session.js';

export interface Gathered {
  states: Map<string, PathState>;
  remoteExists: boolean;
  local: Omit<LocalScan, 'entries'>;
  remote: Omit<ListResult, 'entries'>;
  counts: SafetyCounts;
}

const ANCHORS: readonly string[] = [PROJECT_FILE];

export async function gather(session: Session, filter: PathFilter, opts: { now: number; parallel: number }): Promise<Gathered> {
  const { store, remote, remoteId } = session;
  // Start both walks before the synchronous work below (loading the base), so they overlap it.
  const listing = remote.list(filter);
  listing.catch(() => undefined);
  const walking = walkProject(session.cfg.projectRoot, filter);
  walking.catch(() => undefined);

  const states = new Map<string, PathState>();
  const counts: SafetyCounts = { baseFiles: 0, anchoredBaseFiles: 0, holds: { local: 0, remote: 0 } };
  for (const [path, b] of store.eachBase(remoteId)) {
    states.set(path, { path, base: b });
    if (b.kind === 'file') {
      counts.baseFiles++;
      if (ANCHORS.includes(path)) counts.anchoredBaseFiles++;
    }
  }
  const baseView = { get: (p: string) => states.get(p)?.base };
  const localScan = await scanLocal(session.cfg.projectRoot, await walking, baseView, store.loadStatCache(), { now: opts.now });
  filter.pruneFolders(localScan.entries);
  const { entries: localEntries, ...local } = localScan;
  counts.holds.local = merge(states, localEntries, 'local') + local.tooLarge.length + local.unreadable.length;

  const remoteExists = await remote.rootExists();
  const listed = remoteExists ? await listing : EMPTY_LIST;
  filter.pruneFolders(listed.entries);
  const { entries: remoteEntries, ...remoteRest } = listed;
  counts.holds.remote = merge(states, remoteEntries as Map<string, Entry>, 'remote') + remoteRest.tooLarge.length + remoteRest.unreadable.length;

  setAsideUnknown(states, [local, remoteRest]);
  const precision = remote.capabilities.mtimePrecisionMs;
  for (const s of states.values()) {
    if (s.remote?.kind === 'file') s.remote.hash = knownRemoteHash(s.base, s.remote, precision);
  }
  await learnRemoteHashes(session, states, opts.parallel);
  return { states, remoteExists, local, remote: remoteRest, counts };
}

const EMPTY_LIST: ListResult = { entries: new Map(), unreadable: [], special: [], temporaries: [], tooLarge: [] };

/** Put one side's entries into the states; returns how many files (anchors aside) it holds. */
function merge(states: Map<string, PathState>, entries: Map<string, Entry>, side: Side): number {
  let files = 0;
  for (const [path, e] of entries) {
    let s = states.get(path);
    if (s === undefined) states.set(path, (s = { path }));
    s[side] = e;
    if (e.kind === 'file' && !ANCHORS.includes(path)) files++;
  }
  return files;
}

/** Paths whose state on a side is unknown (unreadable, special, too large), and everything below them: nothing is decided for them. */
function setAsideUnknown(states: Map<string, PathState>, sides: Omit<ListResult, 'entries'>[]): void {
  const unknown = new Set<string>();
  for (const side of sides) for (const list of [side.unreadable, side.special, side.tooLarge]) for (const p of list) unknown.add(p);
  if (unknown.size === 0) return;
  for (const path of states.keys()) {
    if (unknown.has(path)) {
      states.delete(path);
      continue;
    }
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      if (unknown.has(path.slice(0, i))) {
        states.delete(path);
        break;
      }
    }
  }
}

/**
 * Hash remote files where a decision depends on it: both sides changed (same
 * content or a conflict?), and with cheap hashes also a remote file whose
 * stat changed (touched, or really changed?).
 */
async function learnRemoteHashes(session: Session, states: Map<string, PathState>, parallel: number): Promise<void> {
  const cheap = session.remote.capabilities.cheapHash;
  const limit = pLimit(parallel);
  const jobs: Promise<void>[] = [];
  for (const s of states.values()) {
    const r = s.remote;
    if (r?.kind !== 'file' || r.hash !== undefined) continue;
    if (!(needsRemoteHash(s) || (cheap && s.base !== undefined))) continue;
    jobs.push(
      limit(async () => {
        try {
          r.hash = await session.remote.hash(s.path);
        } catch (err) {
          if (err instanceof ArxError && err.code === 'NOT_FOUND') s.remote = undefined;
          else states.delete(s.path);
        }
      }),
    );
  }
  await Promise.all(jobs);
}
