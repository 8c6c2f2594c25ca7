/**
 * Gather what reconcile needs: the base, the project folder and the remote
 * listing, joined by path into one map (one key string and one state object
 * per path, so large projects stay small in memory). Both walks start first,
 * on other threads where possible, and run while the base loads.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_FILE } from '../config/load.js';
import { knownRemoteHash, sameMtime, statMatches, type BaseEntry, type Entry, type FileEntry, type Side } from '../core/entry.js';
import { needsRemoteHash, type PathState } from '../core/reconcile.js';
import type { SafetyCounts } from '../core/safety.js';
import { ArxError, PermissionDeniedError } from '../errors.js';
import type { ListResult } from '../remote/types.js';
import type { PathFilter } from '../scan/filter.js';
import { hashLocalFiles, walkProject, type LocalHashing } from '../scan/local-scan.js';
import { releaseWarmWalkers } from '../scan/warm-walkers.js';
import { compactEntry, ROOT, type CompactWalk, type WalkProblems } from '../scan/walk.js';
import type { StatCacheEntry } from '../state/store.js';
import { inLanes } from '../util/lanes.js';
import type { Session } from './session.js';

export interface Gathered {
  states: Map<string, PathState>;
  remoteExists: boolean;
  local: WalkProblems & Omit<LocalHashing, 'unreadable'>;
  remote: WalkProblems;
  counts: SafetyCounts;
  warnings: string[];
}

const ANCHORS: readonly string[] = [PROJECT_FILE];

/** Above this many synced paths, only the remote is walked on another thread (see gather). */
export const ONE_WALK_ASIDE_ABOVE = 75_000;

export async function gather(session: Session, filter: PathFilter, opts: { now: number; parallel: number }): Promise<Gathered> {
  const { store, remote, remoteId } = session;
  // Start both walks before the synchronous work below (loading the base), so they overlap it.
  // (Held in `let`s and dropped once merged: a walk of a large project is tens of megabytes.)
  let listing: Promise<CompactWalk | ListResult> | undefined = remote.listCompact ? remote.listCompact(filter) : remote.list(filter);
  listing.catch(() => undefined);
  // Both walks beside the base load is fastest; a very large project walks its own folder after
  // the load instead, so that two walks and the state are never in memory at once.
  const walkAside = store.countBase(remoteId) <= ONE_WALK_ASIDE_ABOVE;
  let walking: Promise<CompactWalk> | undefined = walkAside ? walkProject(session.cfg.projectRoot, filter, true) : undefined;
  walking?.catch(() => undefined);
  releaseWarmWalkers();

  const states = new Map<string, PathState>();
  const counts: SafetyCounts = { baseFiles: 0, anchoredBaseFiles: 0, holds: { local: 0, remote: 0 } };
  let rows = 0;
  for (const [path, b] of store.eachBase(remoteId)) {
    // Let a network listing (answers, next requests) move on while the base loads.
    if (++rows % 4096 === 0) await new Promise((r) => setImmediate(r));
    // Every field present from the start keeps it inside the object (no extra backing store per path).
    states.set(path, { path, base: b, local: undefined, remote: undefined, clean: undefined, same: 0 } as Gathering);
    if (b.kind === 'file') {
      counts.baseFiles++;
      if (ANCHORS.includes(path)) counts.anchoredBaseFiles++;
    }
  }
  const statCache: ReadonlyMap<string, StatCacheEntry> = store.loadStatCache();

  const localWalk = await (walking ?? walkProject(session.cfg.projectRoot, filter, false));
  walking = undefined;
  assertRootReadable(localWalk, `the project folder ${session.cfg.projectRoot}`);
  const localProblems = problemsOf(localWalk);
  const precision = remote.capabilities.mtimePrecisionMs;
  counts.holds.local = mergeCompact(states, localWalk, 'local', filter, 1) + localProblems.tooLarge.length + localProblems.unreadable.length;
  localWalk.paths.length = 0;

  const remoteExists = await remote.rootExists();
  const listed = remoteExists ? await listing : undefined;
  listing = undefined;
  if (listed !== undefined) assertRootReadable(listed, `the remote (${remote.describe()})`);
  const remoteProblems = problemsOf(listed);
  if (listed !== undefined) {
    const held = 'paths' in listed ? mergeCompact(states, listed, 'remote', filter, precision) : mergeMap(states, listed.entries as Map<string, Entry>, 'remote', filter, precision);
    counts.holds.remote = held + remoteProblems.tooLarge.length + remoteProblems.unreadable.length;
  }
  // A new local file (no base, nothing on the remote) is simply copied: its content is read
  // (and hashed) once, by the copy, not also here.
  const hashing = await hashLocalFiles(session.cfg.projectRoot, states, statCache, { now: opts.now, skip: (s) => s.base === undefined && s.remote === undefined });
  localProblems.unreadable.push(...hashing.unreadable);

  settleSame(states);
  setAsideUnknown(states, [localProblems, remoteProblems]);
  const warnings = isCaseInsensitive(session.cfg.projectRoot) ? setAsideCaseCollisions(states) : [];
  for (const s of states.values()) {
    if (s.remote?.kind === 'file') s.remote.hash = knownRemoteHash(s.base, s.remote, precision);
  }
  await learnRemoteHashes(session, states, opts.parallel);
  const { unreadable: _u, ...localHashing } = hashing;
  return { states, remoteExists, local: { ...localProblems, ...localHashing }, remote: remoteProblems, counts, warnings };
}

/** A side whose top folder cannot be read is unknown as a whole: the sync stops rather than see it as empty. */
function assertRootReadable(walk: WalkProblems, what: string): void {
  if (walk.unreadable.includes(ROOT)) {
    throw new PermissionDeniedError(`cannot read ${what}; check its permissions (and that it is mounted); nothing was changed`, 'ROOT_UNREADABLE');
  }
}

function problemsOf(walk: WalkProblems | undefined): WalkProblems {
  if (walk === undefined) return { unreadable: [], special: [], temporaries: [], tooLarge: [] };
  return { unreadable: [...walk.unreadable], special: walk.special, temporaries: walk.temporaries, tooLarge: walk.tooLarge };
}

/** A path's state while gathering: which sides were seen to still hold the base (bit 1 local, bit 2 remote). */
type Gathering = PathState & { same: number };

const SAME_BIT: Record<Side, number> = { local: 1, remote: 2 };

function stateFor(states: Map<string, PathState>, path: string): Gathering {
  let s = states.get(path) as Gathering | undefined;
  if (s === undefined) {
    s = { path, base: undefined, local: undefined, remote: undefined, clean: undefined, same: 0 };
    states.set(path, s);
  }
  return s;
}

/** Does this side's walked entry prove the path still holds the base (no entry object needed)? */
function holdsBase(b: BaseEntry | undefined, side: Side, e: { kind: string; size: number; mtimeMs: number; ctimeMs?: number; ino?: number }, precision: number): boolean {
  if (b === undefined || b.kind !== e.kind) return false;
  if (b.kind === 'dir') return true;
  if (side === 'local') return b.local.ctimeMs !== undefined && statMatches(b.local, e);
  return !b.remote.racy && e.size === b.remote.size && sameMtime(e.mtimeMs, b.remote.mtimeMs, precision);
}

/** Put a compact walk into the states; returns how many files (anchors aside) the side holds. */
function mergeCompact(states: Map<string, PathState>, walk: CompactWalk, side: Side, filter: PathFilter, precision: number): number {
  const drop = filter.unsyncedFolders(compactKinds(walk));
  const n = walk.numbers;
  const probe = { kind: '', size: 0, mtimeMs: 0, ctimeMs: 0 as number | undefined, ino: 0 as number | undefined };
  let files = 0;
  for (let i = 0; i < walk.paths.length; i++) {
    const path = walk.paths[i]!;
    if (drop.has(path)) continue;
    const k = i * walk.stride;
    const s = stateFor(states, path);
    probe.kind = n[k] === 0 ? 'file' : 'dir';
    probe.size = n[k + 1]!;
    probe.mtimeMs = n[k + 2]!;
    probe.ctimeMs = walk.stride === 5 ? n[k + 3] : undefined;
    probe.ino = walk.stride === 5 ? n[k + 4] : undefined;
    if (probe.kind === 'file' && !ANCHORS.includes(path)) files++;
    if (holdsBase(s.base, side, probe, precision)) s.same |= SAME_BIT[side];
    else s[side] = compactEntry(walk, i);
  }
  return files;
}

function* compactKinds(walk: CompactWalk): Generator<[string, { kind: string }]> {
  const file = { kind: 'file' };
  const dir = { kind: 'dir' };
  for (let i = 0; i < walk.paths.length; i++) yield [walk.paths[i]!, walk.numbers[i * walk.stride] === 0 ? file : dir];
}

/**
 * Paths whose both sides hold the base become clean (no entries); where only
 * one side does, its entry is rebuilt from the base for reconcile.
 */
function settleSame(states: Map<string, PathState>): void {
  for (const st of states.values()) {
    const s = st as Gathering;
    const b = s.base;
    if (s.same === 3) s.clean = true;
    else if (b !== undefined) {
      if (s.same & 1) s.local = b.kind === 'dir' ? { kind: 'dir' } : { kind: 'file', size: b.local.size, mtimeMs: b.local.mtimeMs, ctimeMs: b.local.ctimeMs, ino: b.local.ino, hash: b.hash! } as Entry;
      if (s.same & 2) s.remote = b.kind === 'dir' ? { kind: 'dir' } : { kind: 'file', size: b.remote.size, mtimeMs: b.remote.mtimeMs, hash: b.hash! };
    }
  }
}

/** Put a listing's entries into the states; returns how many files (anchors aside) the side holds. */
function mergeMap(states: Map<string, PathState>, entries: Map<string, Entry>, side: Side, filter: PathFilter, precision: number): number {
  const drop = filter.unsyncedFolders(entries);
  let files = 0;
  for (const [path, e] of entries) {
    if (drop.has(path)) continue;
    const s = stateFor(states, path);
    if (e.kind === 'file' && !ANCHORS.includes(path)) files++;
    const probe = e.kind === 'dir' ? { kind: 'dir', size: 0, mtimeMs: 0 } : e;
    if (holdsBase(s.base, side, probe, precision)) s.same |= SAME_BIT[side];
    else s[side] = e;
  }
  return files;
}

/** Paths whose state on a side is unknown (unreadable, special, too large), and everything below them: nothing is decided for them. */
function setAsideUnknown(states: Map<string, PathState>, sides: WalkProblems[]): void {
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

/** Does the project folder's filesystem ignore case (macOS, Windows)? Probed with the project file's name. */
function isCaseInsensitive(projectRoot: string): boolean {
  return existsSync(join(projectRoot, PROJECT_FILE.toUpperCase()));
}

/**
 * On a case-insensitive project folder, names that differ only in case (or
 * in Unicode normalisation) would land on one file: they are set aside, with
 * a warning, until one is renamed.
 */
function setAsideCaseCollisions(states: Map<string, PathState>): string[] {
  const byFold = new Map<string, string[]>();
  for (const path of states.keys()) {
    const fold = path.normalize('NFC').toLowerCase();
    const group = byFold.get(fold);
    if (group) group.push(path);
    else byFold.set(fold, [path]);
  }
  const warnings: string[] = [];
  for (const group of byFold.values()) {
    if (group.length < 2) continue;
    for (const p of group) states.delete(p);
    warnings.push(`${group.join(' and ')} differ only in case or accents and cannot both live in the project folder; rename one of them on the remote (left alone)`);
  }
  return warnings;
}

/**
 * Hash remote files where a decision depends on it: both sides changed (same
 * content or a conflict?), and with cheap hashes also a remote file whose
 * stat changed (touched, or really changed?).
 */
async function learnRemoteHashes(session: Session, states: Map<string, PathState>, parallel: number): Promise<void> {
  const cheap = session.remote.capabilities.cheapHash;
  const wanted = function* (): Generator<PathState> {
    for (const s of states.values()) {
      const r = s.remote;
      // Also where the base's remote stat was too recent to vouch (racy): read it once to know.
      if (r?.kind === 'file' && r.hash === undefined && (needsRemoteHash(s) || (s.base !== undefined && (cheap || s.base.remote.racy === true)))) yield s;
    }
  };
  const gone: string[] = [];
  await inLanes(wanted(), parallel, async (s) => {
    try {
      (s.remote as FileEntry).hash = await session.remote.hash(s.path);
    } catch (err) {
      if (err instanceof ArxError && err.code === 'NOT_FOUND') s.remote = undefined;
      else gone.push(s.path);
    }
  });
  // Unknown state: nothing is decided for it (deleted after the walk over the map).
  for (const p of gone) states.delete(p);
}
