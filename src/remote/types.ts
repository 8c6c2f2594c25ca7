/**
 * The Remote interface: a folder somewhere that arx syncs with. Paths are
 * relative to the remote folder, '/'-separated. Every remote runs the
 * conformance suite in test/remote/.
 */
import type { ArxError } from '../errors.js';
import type { CompactWalk } from '../scan/walk.js';
import type { Readable } from 'node:stream';
import type { EntryKind } from '../core/entry.js';

export interface RemoteEntry {
  kind: EntryKind;
  /** Bytes; 0 for folders. */
  size: number;
  mtimeMs: number;
  /** Local disks only: change time and inode, for the stat cache. */
  ctimeMs?: number;
  ino?: number;
}

export interface RemoteCapabilities {
  /** Granularity of stored modification times, in ms (1 for local disks, 1000 for SFTP). */
  mtimePrecisionMs: number;
  /** hash() is cheap (no network): worth calling for every changed file. */
  cheapHash: boolean;
  /** write() with expectAbsent fails, atomically, if the target exists (see WriteOptions). */
  atomicCreate?: boolean;
  /** Small files worth keeping in flight per transfer slot (a network remote's round trips overlap). */
  pipelining?: number;
}

/** Which paths a listing skips (pruned folders are not descended into). */
export interface ListFilter {
  excludeDir(path: string): boolean;
  excludeFile(path: string): boolean;
  /**
   * Optional: set where, below the top level, exclusion depends on the last
   * name alone (excludeDir and excludeFile then agree with it there), so a
   * listing may decide without making the whole path.
   */
  belowTop?: NameRule;
  /** Files bigger than this many bytes are left out and reported in `tooLarge`. */
  maxFileSize?: number;
  /** The patterns this filter was built from, so a listing running elsewhere (a worker) can rebuild it. */
  settings?: { arxignore: string[]; include: string[]; exclude: string[]; maxFileSize?: number };
}

/** Exclusion by a name alone. */
export interface NameRule {
  /** Excludes nothing. */
  readonly empty: boolean;
  excludes(name: string, isDir: boolean): boolean;
}

/** The base as a listing may consult it (see Remote.listCompact). */
export interface KnownBase {
  /** The base row of `path`, or -1. */
  rowOf(path: string): number;
  /** The base row of the path whose UTF-8 bytes are buf[start..end), or -1 (no string needed). */
  rowOfBytes(buf: Uint8Array, start: number, end: number, hint?: number): number;
  /** The path of a base row (the base's own string). */
  pathOf(row: number): string;
  /** Does this entry provably still hold the base row? */
  holds(row: number, isDir: boolean, size: number, mtimeMs: number, ctimeMs: number | undefined, ino: number | undefined): boolean;
}

export interface ListResult {
  entries: Map<string, RemoteEntry>;
  /** Folders that could not be read: their contents are unknown, not deleted. */
  unreadable: string[];
  /** Symbolic links: skipped (never followed). */
  links: string[];
  /** Paths skipped because they are neither files, folders nor links (FIFOs, sockets, devices). */
  special: string[];
  /** Temporary files left by interrupted writes. */
  temporaries: string[];
  /** Files left out because they exceed the filter's maxFileSize. */
  tooLarge: string[];
}

export interface WriteOptions {
  mtimeMs: number;
  /**
   * The target must not exist. A remote with `atomicCreate` then renames with
   * "fail if the target exists" and the caller skips its own checks of the
   * destination (a round trip each on a network remote).
   */
  expectAbsent?: boolean;
  /**
   * Runs after every byte is written and before the file is renamed into
   * place; throwing aborts the write. Writing from a LocalFileSource, the
   * writer passes the sha256 (hex) of what it wrote.
   */
  verify?: (writtenSha256?: string) => void | Promise<void>;
}

/** Data to write taken straight from a file on this machine (the writer reads it as it likes best). */
export interface LocalFileSource {
  localFile: string;
}

/**
 * Data a local writer gets by letting someone fill its temporary file
 * directly (a download with pipelined reads); the writer then reads the file
 * back to pass its sha256 to verify.
 */
export interface FillSource {
  fill(tempFile: string): Promise<void>;
}

/** One file of a batch (see Remote.createMany): its path in the remote folder, its content and mtime (ms). */
export interface BatchFile {
  path: string;
  data: Buffer;
  mtimeMs: number;
}

export interface Remote {
  readonly capabilities: RemoteCapabilities;
  /** Human description, e.g. "local folder /srv/arx/projects/p1". Never contains secrets. */
  describe(): string;
  /** Does the remote folder exist? */
  rootExists(): Promise<boolean>;
  /** Optional: start connecting in the background; a failure is reported by the first operation that needs the connection. */
  prepare?(): void;
  /** Create the remote folder (and its parents). */
  createRoot(): Promise<void>;
  /** Everything in the remote folder, or only below `under` (paths stay relative to the remote folder). */
  list(filter?: ListFilter, under?: string): Promise<ListResult>;
  /**
   * Optional: the same listing, in compact form where the remote can produce it so (no object per
   * entry); a sync's fast path. With `known`, an entry that provably still holds its base row may
   * be left out of the listing and its row noted instead (CompactWalk.held).
   */
  listCompact?(filter?: ListFilter, under?: string, known?: KnownBase): Promise<CompactWalk | ListResult>;
  /** undefined when the path does not exist. */
  stat(path: string): Promise<RemoteEntry | undefined>;
  read(path: string): Promise<Readable>;
  /** Read a whole (small) file; may return a view into `into` when it fits (the caller owns `into` until done with the result). */
  readAll(path: string, into?: Buffer): Promise<Buffer>;
  /** Atomic: written to a temporary name in the same folder, then renamed over `path`, mtime set. */
  write(path: string, data: Readable | Buffer | LocalFileSource | FillSource, opts: WriteOptions): Promise<RemoteEntry>;
  /**
   * Optional: create many new small files at once, each atomically and only where nothing is.
   * Each file's outcome goes to `onEach`: its entry, or an error (CHANGED_DURING_SYNC where a file
   * appeared meanwhile). false when this remote cannot batch; then nothing was done.
   */
  createMany?(files: readonly BatchFile[], onEach: (file: BatchFile, outcome: RemoteEntry | ArxError) => void): Promise<boolean>;
  /** Optional: download a file into a local file with pipelined reads. */
  download?(path: string, localFile: string): Promise<void>;
  /** Create a folder; its parent must exist. Succeeds if it already exists. */
  mkdir(path: string): Promise<void>;
  /** Remove a file or an empty folder. Succeeds if it does not exist. */
  remove(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** sha256 hex of a file's content. */
  hash(path: string): Promise<string>;
  /**
   * Create the file `path` holding `data`, only if nothing is there: of many
   * callers at once exactly one succeeds (a link or rename that never replaces). Its modification time is
   * the remote's own clock (arx sets none). undefined when something was
   * there. Its content is there from the moment it exists. The remote lock's primitive.
   */
  createExclusive(path: string, data: Buffer): Promise<RemoteEntry | undefined>;
  /** Replace `path` atomically with `data` (temporary name, rename); its modification time is the remote's own clock. */
  replaceStamped(path: string, data: Buffer): Promise<RemoteEntry>;
  close(): Promise<void>;
}

/** Prefix of every temporary name arx writes. */
export const TEMP_PREFIX = '.arx-tmp-';

/**
 * The exact form of the temporary names arx writes (see tempName):
 * `.arx-tmp-<writer>-<time>-<random>`, each part lowercase base 36. Only
 * names of this form are treated as temporaries (never synced, cleaned up);
 * any other `.arx-tmp-*` name is an ordinary file.
 */
export const TEMP_NAME = /^\.arx-tmp-([a-z0-9]+)-([a-z0-9]+)-[a-z0-9]+$/;

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && TEMP_NAME.test(name);
}

/**
 * A fresh temporary file name: `.arx-tmp-<writer>-<time>-<random>`. `writer`
 * identifies the project that writes it, so its next sync knows the file is
 * its own leftover; the time lets others clean up abandoned ones.
 */
export function tempName(writer: string): string {
  const rand = Math.random().toString(36).slice(2, 10).padEnd(8, '0');
  return `${TEMP_PREFIX}${writer}-${Date.now().toString(36)}-${rand}`;
}

/** Writer and creation time (ms) encoded in a temporary name (the last name of `name`). */
export function parseTempName(name: string): { writer: string; createdAt: number } | undefined {
  const m = TEMP_NAME.exec(name.slice(name.lastIndexOf('/') + 1));
  if (!m) return undefined;
  return { writer: m[1]!, createdAt: parseInt(m[2]!, 36) };
}
