/**
 * Walk a local folder tree: files with size, mtime, ctime and inode; folders;
 * what was skipped and why.
 */
import { lstatSync, readdirSync, type Dirent, type Stats } from 'node:fs';
import { ArxError, ConfigError, errnoCode } from '../errors.js';
import { isTempName, type KnownBase, type ListFilter, type ListResult } from '../remote/types.js';
import type { FilterSettings } from './filter.js';
import { decodePath, fsPath } from '../util/path-bytes.js';
import { takeWalkWorker, WALK_WORKER_FILE } from './warm-walkers.js';

/** Serves as a scan entry and a remote entry alike, so no copies are made. */
export interface WalkedFile {
  kind: 'file';
  size: number;
  mtimeMs: number;
  /** Present when walked with identity (the project side). */
  ctimeMs?: number;
  ino?: number;
  /** Filled in by the scan (stat cache or hashing). */
  hash?: string;
}

export interface WalkedDir {
  kind: 'dir';
  size: 0;
  mtimeMs: 0;
}

export type WalkedEntry = WalkedFile | WalkedDir;

export interface WalkResult extends Omit<ListResult, 'entries'> {
  entries: Map<string, WalkedEntry>;
}

export interface WalkOptions {
  filter?: ListFilter;
  /** Top-level names never walked (e.g. ".arx"). */
  skipTopLevel?: ReadonlySet<string>;
  /** Walk only this sub-folder of root (paths stay relative to root). */
  under?: string;
  /** See Remote.listCompact (only a walk by find uses it). */
  known?: KnownBase;
}

export function fileFromStats(st: Stats): WalkedFile {
  return { kind: 'file', size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hash: undefined };
}

/** Receives each walked entry; `st` is present for files. */
export type WalkSink = (path: string, st: Stats | undefined) => void;

export type WalkProblems = Omit<ListResult, 'entries'>;

/** The error code when the walked folder itself cannot be read ('' in `unreadable`). */
export const ROOT = '';

/**
 * Walk `root` (absolute), handing every included file and folder to `sink`.
 * A missing root yields nothing. Uses synchronous calls on purpose: for many
 * small directory entries they are several times faster than the
 * thread-pool round trips of the async API.
 */
export function walkInto(root: string, opts: WalkOptions, sink: WalkSink): WalkProblems {
  const problems: WalkProblems = { unreadable: [], links: [], special: [], temporaries: [], tooLarge: [] };
  const start = opts.under ?? '';
  const queue: string[] = [start];
  const filter = opts.filter;
  const max = filter?.maxFileSize;
  while (queue.length > 0) {
    const rel = queue.pop()!;
    const abs = rel === '' ? root : `${root}/${rel}`;
    let dirents: Dirent[];
    try {
      dirents = readFolder(abs);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' || rel !== start) problems.unreadable.push(rel);
      continue;
    }
    for (const d of dirents) {
      const name = d.name;
      if (rel === '' && opts.skipTopLevel?.has(name)) continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      if (isTempName(name)) {
        problems.temporaries.push(path);
      } else if (d.isDirectory()) {
        if (filter?.excludeDir(path)) continue;
        sink(path, undefined);
        queue.push(path);
      } else if (d.isFile()) {
        if (filter?.excludeFile(path)) continue;
        let st: Stats | undefined;
        try {
          st = lstatSync(fsPath(`${abs}/${name}`));
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') problems.unreadable.push(path);
          continue;
        }
        // Became a link or a special file since the folder was read: set aside, never "deleted".
        if (!st.isFile()) {
          (st.isSymbolicLink() ? problems.links : problems.special).push(path);
          continue;
        }
        if (max !== undefined && st.size > max) problems.tooLarge.push(path);
        else sink(path, st);
      } else if (!(filter?.excludeFile(path) ?? false)) {
        (d.isSymbolicLink() ? problems.links : problems.special).push(path);
      }
    }
  }
  return problems;
}

/**
 * A folder's entries, their names as paths (see path-bytes.ts). Read as
 * strings first (the fast way); only a folder with a name that is not UTF-8
 * (decoded with U+FFFD) is read again as bytes.
 */
function readFolder(abs: string): Dirent[] {
  const dirents = readdirSync(fsPath(abs), { withFileTypes: true });
  if (!dirents.some((d) => d.name.includes('\uFFFD'))) return dirents;
  const raw = readdirSync(fsPath(abs), { withFileTypes: true, encoding: 'buffer' });
  return raw.map((d) => Object.assign(d, { name: decodePath(d.name as unknown as Buffer) }) as unknown as Dirent);
}

/** Walk `root` into a map of entries (see walkInto). */
export async function walkTree(root: string, opts: WalkOptions = {}): Promise<WalkResult> {
  const entries = new Map<string, WalkedEntry>();
  const problems = walkInto(root, opts, (path, st) => entries.set(path, st === undefined ? { kind: 'dir', size: 0, mtimeMs: 0 } : fileFromStats(st)));
  return { entries, ...problems };
}

/** What walk-worker.ts is asked to do. */
export interface WalkJob {
  root: string;
  settings?: FilterSettings;
  under?: string;
  skipTopLevel: string[];
  /** Also record ctime and inode (the project side needs them; a remote does not). */
  identity: boolean;
}

/**
 * A walk in compact form (what the worker answers): the paths, and per path
 * `stride` numbers [kind (0 file, 1 folder), size, mtime, then with identity
 * ctime, inode]. Cheap to pass between threads and to merge without
 * building a map of entries.
 */
export interface CompactWalk extends WalkProblems {
  paths: string[];
  numbers: Float64Array;
  stride: number;
  /** Base rows of entries left out because they still hold the base (see KnownBase). */
  held?: number[];
  /**
   * Every entry in the order the listing met it: its base row where the base
   * had it then, else -(its index in `paths` + 1) (see resolveOrder).
   */
  order?: number[];
}

/** A walk's order as base rows (entries the base does not have are left out). */
export function resolveOrder(walk: CompactWalk, rowOf: (path: string) => number | undefined): number[] | undefined {
  if (walk.order === undefined) return walk.held;
  const rows: number[] = [];
  for (const v of walk.order) {
    const row = v >= 0 ? v : rowOf(walk.paths[-v - 1]!);
    if (row !== undefined) rows.push(row);
  }
  return rows;
}

/** Builds a CompactWalk entry by entry (for a walk here, or a listing read from elsewhere). */
export class CompactWalkBuilder {
  readonly paths: string[] = [];
  // Grown by doubling: a plain array of numbers would take twice the memory on the way.
  private numbers: Float64Array;

  /** Stride 5 also records ctime and inode (see CompactWalk). */
  constructor(private readonly stride: 3 | 5) {
    this.numbers = new Float64Array(stride * 1024);
  }

  dir(path: string): void {
    // The slot first: it may replace the array (`this.numbers[this.slot()]` would write to the old one).
    const k = this.slot(path);
    this.numbers[k] = 1;
  }

  file(path: string, size: number, mtimeMs: number, ctimeMs = 0, ino = 0): void {
    const k = this.slot(path);
    const n = this.numbers;
    n[k] = 0;
    n[k + 1] = size;
    n[k + 2] = mtimeMs;
    if (this.stride === 5) {
      n[k + 3] = ctimeMs;
      n[k + 4] = ino;
    }
  }

  finish(problems: WalkProblems): CompactWalk {
    return { paths: this.paths, numbers: this.numbers.slice(0, this.paths.length * this.stride), stride: this.stride, ...problems };
  }

  /** Where the numbers of a new entry for `path` start (no view object per entry: walks are hot). */
  private slot(path: string): number {
    const k = this.paths.length * this.stride;
    if (k + this.stride > this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    this.paths.push(path);
    return k;
  }
}

/** Walk into compact form (see walkInto). */
export function walkCompact(root: string, opts: WalkOptions, identity: boolean): CompactWalk {
  const built = new CompactWalkBuilder(identity ? 5 : 3);
  const problems = walkInto(root, opts, (path, st) => {
    if (st === undefined) built.dir(path);
    else built.file(path, st.size, st.mtimeMs, st.ctimeMs, st.ino);
  });
  return built.finish(problems);
}

/** The entry at index i of a compact walk. */
export function compactEntry(c: CompactWalk, i: number): WalkedEntry {
  const n = c.numbers;
  const k = i * c.stride;
  if (n[k] === 1) return { kind: 'dir', size: 0, mtimeMs: 0 };
  return c.stride === 5
    ? { kind: 'file', size: small(n[k + 1]!), mtimeMs: n[k + 2]!, ctimeMs: n[k + 3]!, ino: small(n[k + 4]!), hash: undefined }
    : { kind: 'file', size: small(n[k + 1]!), mtimeMs: n[k + 2]!, hash: undefined };
}

/** Whole numbers below 2^31 as small integers, which V8 stores inside the object (no boxed number each). */
function small(x: number): number {
  return x >= 0 && x < 2147483648 ? x | 0 : x;
}

export function compactToResult(c: CompactWalk): WalkResult {
  const entries = new Map<string, WalkedEntry>();
  for (let i = 0; i < c.paths.length; i++) entries.set(c.paths[i]!, compactEntry(c, i));
  return { entries, unreadable: c.unreadable, links: c.links, special: c.special, temporaries: c.temporaries, tooLarge: c.tooLarge };
}

/**
 * Walk on another thread when possible. The worker starts before this
 * returns, so the walk overlaps whatever the caller does next.
 */
export function walkCompactAside(root: string, opts: WalkOptions, identity: boolean): Promise<CompactWalk> {
  const settings = opts.filter?.settings;
  const file = WALK_WORKER_FILE;
  if (file === undefined || (opts.filter !== undefined && settings === undefined)) return Promise.resolve(walkCompact(root, opts, identity));
  const job: WalkJob = { root, settings, under: opts.under, skipTopLevel: [...(opts.skipTopLevel ?? [])], identity };
  return new Promise((resolve, reject) => {
    const worker = takeWalkWorker(file);
    worker.postMessage(job);
    worker.once('message', (reply: CompactWalk | { error: string }) => {
      if ('error' in reply) reject(new ConfigError(reply.error, 'CONFIG_PATTERN'));
      else resolve(reply);
    });
    worker.once('error', (err) => reject(new ArxError('internal', 'WALK_FAILED', `reading ${root}: ${err.message}`, { cause: err })));
    worker.once('exit', (code) => {
      if (code !== 0) reject(new ArxError('internal', 'WALK_FAILED', `reading ${root} stopped unexpectedly (exit ${code})`));
    });
  });
}
