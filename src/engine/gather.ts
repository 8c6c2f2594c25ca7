/**
 * Gather what reconcile needs: the base, the project folder and the remote
 * listing, joined by path. The base is held column by column (BaseTable);
 * a state object is made only for a path that is not clean, i.e. not seen
 * unchanged on both sides: a sync that changes little builds little. Both
 * walks start first and run while the base loads.
 */
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_FILE } from '../config/load.js';
import { knownRemoteHash, type Entry, type FileEntry, type Side } from '../core/entry.js';
import { needsRemoteHash, type PathState } from '../core/reconcile.js';
import type { SafetyCounts } from '../core/safety.js';
import { ArxError, PermissionDeniedError } from '../errors.js';
import type { KnownBase, ListResult } from '../remote/types.js';
import type { PathFilter } from '../scan/filter.js';
import { FIND_WALKS } from '../scan/find-walk.js';
import { hashLocalFiles, walkProject, type LocalHashing } from '../scan/local-scan.js';
import { releaseWarmWalkers } from '../scan/warm-walkers.js';
import { compactEntry, resolveOrder, ROOT, type CompactWalk, type WalkProblems } from '../scan/walk.js';
import { BaseTable } from '../state/base-table.js';
import type { StatCacheEntry, StateStore } from '../state/store.js';
import { inLanes } from '../util/lanes.js';
import type { Session } from './session.js';

export interface Gathered {
  /** Every path that is not clean (clean paths need no decision). */
  states: Map<string, PathState>;
  /** The base as it was before this sync. */
  base: BaseTable;
  remoteExists: boolean;
  local: WalkProblems & Omit<LocalHashing, 'unreadable'>;
  remote: WalkProblems;
  counts: SafetyCounts;
  /** Groups of names that would land on one file in a case-insensitive project folder (set aside). */
  caseClashes: string[][];
  /** The base rows in the order the project folder's listing met them (see StateStore.saveBaseSnapshot). */
  localOrder: readonly number[] | undefined;
}

const ANCHORS: readonly string[] = [PROJECT_FILE];

/** Above this many synced paths, only the remote is walked on another thread (see gather). */
export const ONE_WALK_ASIDE_ABOVE = 75_000;

/** Both sides' walks, under way (see startScans). */
export interface Scans {
  filter: PathFilter;
  /** When the walks began: what they saw is at least this old (see isRacy). */
  time: number;
  listing: Promise<CompactWalk | ListResult> | undefined;
  walking: Promise<CompactWalk> | undefined;
  knownLocal: KnownRows;
  knownRemote: KnownRows;
  /** The base from its snapshot (loading); undefined: gather loads it row by row. */
  snapshot: Promise<BaseTable | undefined>;
}

/**
 * Start walking both sides, the project folder first: its `find` then runs
 * beside the rest of the start-up (loading the base, logging in to the server).
 */
export function startScans(session: Session, filter: PathFilter, now: number): Scans {
  const { store, remote, remoteId } = session;
  // Entries that still hold the base may be left out of the listings (their rows noted): a large
  // project that changed little then keeps little in memory. Not with include patterns, which
  // need every entry to know which folders to keep.
  const consult = (filter.settings?.include.length ?? 0) === 0;
  const knownLocal = new KnownRows('local', 1);
  const knownRemote = new KnownRows('remote', remote.capabilities.mtimePrecisionMs);
  // Both walks beside the base load is fastest. Where the walk runs in Node, a very large project
  // walks its own folder after the load instead, so that two walks in Node and the state are never
  // in memory at once (find's listing is as small as the walk's result, so it always starts now).
  const walkAside = FIND_WALKS || store.countBase(remoteId) <= ONE_WALK_ASIDE_ABOVE;
  const walking = walkAside ? walkProject(session.cfg.projectRoot, filter, true, consult ? knownLocal : undefined) : undefined;
  walking?.catch(() => undefined);
  const listing = remote.listCompact ? remote.listCompact(filter, undefined, consult ? knownRemote : undefined) : remote.list(filter);
  listing.catch(() => undefined);
  releaseWarmWalkers();
  // The listings consult the base as soon as it exists (while it loads row by row, what it holds so far).
  // It loads once what is under way has taken its next step: a login to the server that is starting
  // sends its first messages before this (tens of milliseconds) keeps the thread.
  const snapshot = new Promise<BaseTable | undefined>((resolve, reject) =>
    setImmediate(() => {
      try {
        const table = store.baseSnapshot(remoteId);
        knownLocal.base = table;
        knownRemote.base = table;
        resolve(table);
      } catch (err) {
        reject(err);
      }
    }),
  );
  snapshot.catch(() => undefined);
  return { filter, time: now, listing, walking, knownLocal, knownRemote, snapshot };
}

export async function gather(session: Session, scans: Scans, opts: { parallel: number; narrowed?: boolean }): Promise<Gathered> {
  const { store, remote, remoteId } = session;
  const { filter, knownLocal, knownRemote } = scans;
  const consult = (filter.settings?.include.length ?? 0) === 0;
  const precision = remote.capabilities.mtimePrecisionMs;
  // (The walks are held in `let`s and dropped once merged: a walk of a large project is tens of megabytes.)
  let listing = scans.listing;
  let walking = scans.walking;
  scans.listing = undefined;
  scans.walking = undefined;

  const states = new Map<string, PathState>();
  const snapshot = await scans.snapshot;
  const base = snapshot ?? new BaseTable();
  if (snapshot === undefined) {
    knownLocal.base = base;
    knownRemote.base = base;
    await loadRows(store, remoteId, base);
  }
  // What this sync changes in the base is tracked from here, for the next snapshot.
  store.trackBaseChanges(remoteId);
  const counts: SafetyCounts = { baseFiles: 0, anchoredBaseFiles: 0, holds: { local: 0, remote: 0 } };
  // The anchors' rows: counting by row number touches no path (a cache miss each on a large base).
  const anchorRows = ANCHORS.map((p) => base.rowOf(p) ?? -1).filter((row) => row !== -1 && !base.isDir(row));
  for (let row = 0; row < base.size; row++) if (!base.isDir(row)) counts.baseFiles++;
  counts.anchoredBaseFiles = anchorRows.length;
  // Which sides were seen to still hold the base, per row (bit 1 local, bit 2 remote).
  const same = new Uint8Array(base.size);
  const statCache: ReadonlyMap<string, StatCacheEntry> = store.loadStatCache();

  const localWalk = await (walking ?? walkProject(session.cfg.projectRoot, filter, false, consult ? knownLocal : undefined));
  walking = undefined;
  assertRootReadable(localWalk, `the project folder ${session.cfg.projectRoot}`);
  const localProblems = problemsOf(localWalk);
  counts.holds.local = mergeCompact(states, base, same, localWalk, 'local', filter, 1, anchorRows) + localProblems.tooLarge.length + localProblems.unreadable.length;
  // (Resolved now: entries listed before their rows had loaded are found in the whole base.)
  const localOrder = resolveOrder(localWalk, (path) => base.rowOf(path));
  localWalk.paths.length = 0;

  // The listing first: it reports a failure to connect (see openRemote) without a second attempt.
  const listedAnyway = await listing!;
  listing = undefined;
  const remoteExists = await remote.rootExists();
  const listed = remoteExists ? listedAnyway : undefined;
  if (listed !== undefined) assertRootReadable(listed, `the remote (${remote.describe()})`);
  const remoteProblems = problemsOf(listed);
  if (listed !== undefined) {
    const held = 'paths' in listed ? mergeCompact(states, base, same, listed, 'remote', filter, precision, anchorRows) : mergeMap(states, base, same, listed.entries as Map<string, Entry>, 'remote', filter, precision);
    counts.holds.remote = held + remoteProblems.tooLarge.length + remoteProblems.unreadable.length;
  }
  // A new local file (no base, nothing on the remote) is simply copied: its content is read
  // (and hashed) once, by the copy, not also here.
  const hashing = await hashLocalFiles(session.cfg.projectRoot, states, statCache, { now: scans.time, skip: (s) => s.base === undefined && s.remote === undefined });
  localProblems.unreadable.push(...hashing.unreadable);

  settleSame(states, base, same);
  setAsideUnknown(states, [localProblems, remoteProblems]);
  markOutside(states, filter, session.cfg.projectRoot, opts.narrowed === true);
  const caseClashes = isCaseInsensitive(session.cfg.projectRoot) ? setAsideCaseCollisions(states, base, same) : [];
  for (const s of states.values()) {
    if (s.remote?.kind === 'file') s.remote.hash = knownRemoteHash(s.base, s.remote, precision);
  }
  await learnRemoteHashes(session, states, opts.parallel);
  const { unreadable: _u, ...localHashing } = hashing;
  return { states, base, remoteExists, local: { ...localProblems, ...localHashing }, remote: remoteProblems, counts, caseClashes, localOrder };
}

/** The base as the listings of one side consult it (see KnownBase); holds nothing until the base is loaded. */
class KnownRows implements KnownBase {
  base: BaseTable | undefined;
  private readonly seen = { kind: '', size: 0, mtimeMs: 0, ctimeMs: undefined as number | undefined, ino: undefined as number | undefined };

  constructor(
    private readonly side: Side,
    private readonly precision: number,
  ) {}

  rowOf(path: string): number {
    return this.base?.rowOf(path) ?? -1;
  }

  rowOfBytes(buf: Uint8Array, start: number, end: number, hint?: number): number {
    return this.base?.rowOfBytes(buf, start, end, hint) ?? -1;
  }

  pathOf(row: number): string {
    return this.base!.paths[row]!;
  }

  holds(row: number, isDir: boolean, size: number, mtimeMs: number, ctimeMs: number | undefined, ino: number | undefined): boolean {
    const e = this.seen;
    e.kind = isDir ? 'dir' : 'file';
    e.size = size;
    e.mtimeMs = mtimeMs;
    e.ctimeMs = ctimeMs;
    e.ino = ino;
    return this.base!.holds(row, this.side, e, this.precision);
  }
}

/** The base row by row, into `base` (letting the listings move on meanwhile). */
async function loadRows(store: StateStore, remoteId: string, base: BaseTable): Promise<void> {
  for (const r of store.eachBaseRow(remoteId)) {
    if (base.size % 512 === 511) await new Promise((r) => setImmediate(r));
    base.add(r);
  }
}

/** A side whose top folder cannot be read is unknown as a whole: the sync stops rather than see it as empty. */
function assertRootReadable(walk: WalkProblems, what: string): void {
  if (walk.unreadable.includes(ROOT)) {
    throw new PermissionDeniedError(`cannot read ${what}; check its permissions (and that it is mounted); nothing was changed`, 'ROOT_UNREADABLE');
  }
}

function problemsOf(walk: WalkProblems | undefined): WalkProblems {
  if (walk === undefined) return { unreadable: [], links: [], special: [], temporaries: [], tooLarge: [] };
  return { unreadable: [...walk.unreadable], links: walk.links, special: walk.special, temporaries: walk.temporaries, tooLarge: walk.tooLarge };
}

const SAME_BIT: Record<Side, number> = { local: 1, remote: 2 };

/** The state of a path that is not clean (made on first need, with its base entry). */
function stateFor(states: Map<string, PathState>, base: BaseTable, path: string, row: number | undefined): PathState {
  let s = states.get(path);
  if (s === undefined) {
    s = { path, base: row === undefined ? undefined : base.entry(row), local: undefined, remote: undefined, clean: undefined };
    states.set(path, s);
  }
  return s;
}

/** Put a compact walk into the states; returns how many files (anchors, at `anchorRows` in the base, aside) the side holds. */
function mergeCompact(states: Map<string, PathState>, base: BaseTable, same: Uint8Array, walk: CompactWalk, side: Side, filter: PathFilter, precision: number, anchorRows: readonly number[]): number {
  const drop = filter.unsyncedFolders(compactKinds(walk));
  const n = walk.numbers;
  const bit = SAME_BIT[side];
  let files = 0;
  for (const row of walk.held ?? []) {
    same[row]! |= bit;
    if (!base.isDir(row) && !anchorRows.includes(row)) files++;
  }
  const probe = { kind: '', size: 0, mtimeMs: 0, ctimeMs: 0 as number | undefined, ino: 0 as number | undefined };
  for (let i = 0; i < walk.paths.length; i++) {
    const path = walk.paths[i]!;
    if (drop.size > 0 && drop.has(path)) continue;
    const k = i * walk.stride;
    probe.kind = n[k] === 0 ? 'file' : 'dir';
    probe.size = n[k + 1]!;
    probe.mtimeMs = n[k + 2]!;
    probe.ctimeMs = walk.stride === 5 ? n[k + 3] : undefined;
    probe.ino = walk.stride === 5 ? n[k + 4] : undefined;
    if (probe.kind === 'file' && !ANCHORS.includes(path)) files++;
    const row = base.rowOf(path);
    if (row !== undefined && base.holds(row, side, probe, precision)) same[row]! |= bit;
    else stateFor(states, base, path, row)[side] = compactEntry(walk, i);
  }
  return files;
}

function* compactKinds(walk: CompactWalk): Generator<[string, { kind: string }]> {
  const file = { kind: 'file' };
  const dir = { kind: 'dir' };
  for (let i = 0; i < walk.paths.length; i++) yield [walk.paths[i]!, walk.numbers[i * walk.stride] === 0 ? file : dir];
}

/**
 * Base paths not seen unchanged on both sides get a state; where one side
 * still holds the base, its entry is rebuilt from the base for reconcile.
 * The rest are clean and get none.
 */
function settleSame(states: Map<string, PathState>, base: BaseTable, same: Uint8Array): void {
  for (let row = 0; row < base.size; row++) {
    const bits = same[row]!;
    if (bits === 3) continue;
    const s = stateFor(states, base, base.paths[row]!, row);
    const b = s.base!;
    if (bits & 1) s.local = b.kind === 'dir' ? { kind: 'dir' } : ({ kind: 'file', size: b.local.size, mtimeMs: b.local.mtimeMs, ctimeMs: b.local.ctimeMs, ino: b.local.ino, hash: b.hash! } as Entry);
    if (bits & 2) s.remote = b.kind === 'dir' ? { kind: 'dir' } : { kind: 'file', size: b.remote.size, mtimeMs: b.remote.mtimeMs, hash: b.hash! };
  }
}

/** Put a listing's entries into the states; returns how many files (anchors aside) the side holds. */
function mergeMap(states: Map<string, PathState>, base: BaseTable, same: Uint8Array, entries: Map<string, Entry>, side: Side, filter: PathFilter, precision: number): number {
  const drop = filter.unsyncedFolders(entries);
  let files = 0;
  for (const [path, e] of entries) {
    if (drop.has(path)) continue;
    if (e.kind === 'file' && !ANCHORS.includes(path)) files++;
    const probe = e.kind === 'dir' ? { kind: 'dir', size: 0, mtimeMs: 0 } : e;
    const row = base.rowOf(path);
    if (row !== undefined && base.holds(row, side, probe, precision)) same[row]! |= SAME_BIT[side];
    else stateFor(states, base, path, row)[side] = e;
  }
  return files;
}

/** Paths whose state on a side is unknown (unreadable, links, special, too large), and everything below them: nothing is decided for them. */
function setAsideUnknown(states: Map<string, PathState>, sides: WalkProblems[]): void {
  const unknown = new Set<string>();
  for (const side of sides) for (const list of [side.unreadable, side.links, side.special, side.tooLarge]) for (const p of list) unknown.add(p);
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
 * Synced paths that neither side listed because the filter now leaves them out
 * (or whose project copy is still there, unlisted): they are no longer
 * included, not deleted. Their base is forgotten, unless the patterns were
 * narrowed for this run only (`leaveAlone`): then nothing is decided for them.
 */
function markOutside(states: Map<string, PathState>, filter: PathFilter, projectRoot: string, leaveAlone: boolean): void {
  for (const s of states.values()) {
    if (s.base === undefined || s.local !== undefined || s.remote !== undefined) continue;
    if (!filteredOut(filter, s.path, s.base.kind) && !existsNoFollow(join(projectRoot, s.path))) continue;
    if (leaveAlone) states.delete(s.path);
    else s.outside = true;
  }
}

function filteredOut(filter: PathFilter, path: string, kind: 'file' | 'dir'): boolean {
  for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) if (filter.excludeDir(path.slice(0, i))) return true;
  return kind === 'dir' ? filter.excludeDir(path) : filter.excludeFile(path);
}

function existsNoFollow(abs: string): boolean {
  try {
    lstatSync(abs);
    return true;
  } catch {
    return false;
  }
}

/** Does the project folder's filesystem ignore case (macOS, Windows)? Probed with the project file's name. */
function isCaseInsensitive(projectRoot: string): boolean {
  return existsSync(join(projectRoot, PROJECT_FILE.toUpperCase()));
}

/**
 * On a case-insensitive project folder, names that differ only in case (or
 * in Unicode normalisation) would land on one file: they are set aside (the
 * groups are returned, for a warning) until one is renamed.
 */
export function setAsideCaseCollisions(states: Map<string, PathState>, base: BaseTable, same: Uint8Array): string[][] {
  const byFold = new Map<string, string[]>();
  const clean = base.paths.filter((_, row) => same[row] === 3);
  for (const path of [...states.keys(), ...clean]) {
    const fold = path.normalize('NFC').toLowerCase();
    const group = byFold.get(fold);
    if (group) group.push(path);
    else byFold.set(fold, [path]);
  }
  const clashes: string[][] = [];
  for (const group of byFold.values()) {
    if (group.length < 2) continue;
    for (const p of group) states.delete(p);
    clashes.push(group);
  }
  return clashes;
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
