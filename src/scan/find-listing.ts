/**
 * Reads the output of GNU `find -printf` into a walk in compact form. One
 * `find` process lists a tree several times faster than a walk in Node (no
 * JavaScript object per stat call), so it serves both the project folder and
 * an SFTP server's folder (over an exec channel).
 *
 * Records are `type size mtime [ctime inode] path`, each ended by NUL (no
 * name can hold one); times are seconds with an optional fraction, as `%T@`
 * prints them.
 */
import { TEMP_NAME, TEMP_PREFIX, type KnownBase, type ListFilter } from '../remote/types.js';
import { decodePath } from '../util/path-bytes.js';
import { CompactWalkBuilder, type CompactWalk, type WalkProblems } from './walk.js';

/**
 * The -printf format for a listing with (identity) or without ctime and inode.
 * (`%T@`, not `%Ts`: GNU find formats the latter through strftime, which
 * makes a listing of 50,000 files take twice as long.)
 */
export function findFormat(identity: boolean): string {
  return identity ? '%y %s %T@ %C@ %i %P\\0' : '%y %s %T@ %P\\0';
}

export interface FindParserOptions {
  /** The listed folder's path (prefix of every path), '' for the root. */
  prefix?: string;
  /** Records carry ctime and inode (the project folder's walk). */
  identity?: boolean;
  /** Keep whole seconds of mtime only (what an SFTP listing carries); else the exact time, as Node's stat gives it. */
  wholeSeconds?: boolean;
  /** The output is complete only after this record (printed by the shell once find succeeded). */
  sentinel?: string;
  /** Entries that still hold the base are left out, their rows noted (see KnownBase). */
  known?: KnownBase;
}

const SPACE = 0x20;
const SLASH = 0x2f;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const TYPE_DIR = 0x64; // 'd'
const TYPE_FILE = 0x66; // 'f'
const TYPE_LINK = 0x6c; // 'l'

const TEMP_PREFIX_BYTES = Buffer.from(TEMP_PREFIX);
const NO_BYTES = Buffer.alloc(0);

/** Where the last name of the path in buf[start..end) starts (a '/' byte is always a separator, whatever the other bytes). */
function nameStart(buf: Buffer, start: number, end: number): number {
  let name = end;
  while (name > start && buf[name - 1] !== SLASH) name--;
  return name;
}

/** Is buf[name..end) a temporary's name (TEMP_NAME; the prefix is compared on the bytes first)? */
function isTemporaryName(buf: Buffer, name: number, end: number): boolean {
  if (end - name < TEMP_PREFIX_BYTES.length) return false;
  for (let i = 0; i < TEMP_PREFIX_BYTES.length; i++) if (buf[name + i] !== TEMP_PREFIX_BYTES[i]) return false;
  // (latin1: one character per byte, so a name with other bytes than TEMP_NAME's never matches.)
  return TEMP_NAME.test(buf.toString('latin1', name, end));
}

/** Do buf[start..end) and `bytes` hold the same bytes? */
function sameBytes(buf: Buffer, start: number, end: number, bytes: Buffer): boolean {
  if (end - start !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[start + i] !== bytes[i]) return false;
  return true;
}

/**
 * The numbers of the record being read, field by field left to right (one
 * object for the whole listing, no tuple per field: this runs for every entry).
 * A field that is not there clears `ok`.
 */
class RecordFields {
  at = 0;
  ok = true;
  size = 0;
  mtimeMs = 0;
  ctimeMs = 0;
  ino = 0;

  /** `type size mtime [ctime inode] ` from buf[start..end): true when well-formed, `at` then at the path. */
  read(buf: Buffer, start: number, end: number, identity: boolean, wholeSeconds: boolean): boolean {
    this.at = start + 1;
    this.ok = true;
    this.space(buf);
    this.size = this.digits(buf, end);
    this.space(buf);
    this.mtimeMs = this.time(buf, end, wholeSeconds);
    if (identity) {
      this.space(buf);
      this.ctimeMs = this.time(buf, end, false);
      this.space(buf);
      this.ino = this.digits(buf, end);
    }
    this.space(buf);
    return this.ok && this.at < end;
  }

  /** A run of digits (at least one). */
  private digits(buf: Buffer, end: number): number {
    const from = this.at;
    let value = 0;
    let i = from;
    for (; i < end && buf[i]! >= ZERO && buf[i]! <= NINE; i++) value = value * 10 + (buf[i]! - ZERO);
    if (i === from) this.ok = false;
    this.at = i;
    return value;
  }

  /** A single space. */
  private space(buf: Buffer): void {
    if (buf[this.at] === SPACE) this.at++;
    else this.ok = false;
  }

  /**
   * `seconds[.fraction]` as milliseconds. The exact form is computed as Node
   * computes Stats.mtimeMs (seconds * 1e3 + nanoseconds / 1e6), so both
   * walks give bit-identical times.
   */
  private time(buf: Buffer, end: number, wholeSeconds: boolean): number {
    const seconds = this.digits(buf, end);
    let nanos = 0;
    if (buf[this.at] === DOT) {
      const from = ++this.at;
      let i = from;
      for (; i < end && buf[i]! >= ZERO && buf[i]! <= NINE; i++) if (i - from < 9) nanos = nanos * 10 + (buf[i]! - ZERO);
      for (let d = i - from; d < 9; d++) nanos *= 10;
      this.at = i;
    }
    return wholeSeconds ? seconds * 1000 : seconds * 1000 + nanos / 1e6;
  }
}

/**
 * Builds the listing from find's output, fed in chunks as they arrive. find
 * prints a folder before what it holds, so whether a folder is listed (not
 * excluded, not a temporary) is known before its contents come.
 *
 * An entry found in the base (by its bytes) that still holds it costs no
 * string at all: where the filter decides on names, it is decided from the
 * name's bytes, and only entries that are listed or reported get a path.
 */
export class FindListingParser {
  private readonly built: CompactWalkBuilder;
  private readonly problems: WalkProblems = { unreadable: [], links: [], special: [], temporaries: [], tooLarge: [] };
  /** Folders whose contents are listed. */
  private readonly listed = new Set<string>();
  private readonly prefix: string;
  private readonly identity: boolean;
  private readonly wholeSeconds: boolean;
  /** Empty when the output has no sentinel. */
  private readonly sentinel: Buffer;
  private readonly known: KnownBase | undefined;
  private readonly held: number[] = [];
  /** See CompactWalk.order. */
  private readonly order: number[] = [];
  /** How many folders were left out (excluded or temporary); while none was, no parent needs checking. */
  private unlisted = 0;
  /** The folder (below the listed one) of the last entry checked against `listed`, and whether it is listed: a folder's entries come together. */
  private lastFolder: Buffer = NO_BYTES;
  private lastFolderListed = true;
  private lastRow = -2;
  private readonly fields = new RecordFields();
  private pending: Buffer = NO_BYTES;
  private complete = false;
  private malformed = false;

  constructor(
    private readonly filter: ListFilter | undefined,
    opts: FindParserOptions = {},
  ) {
    this.prefix = opts.prefix ?? '';
    this.identity = opts.identity ?? false;
    this.wholeSeconds = opts.wholeSeconds ?? false;
    this.sentinel = opts.sentinel === undefined ? NO_BYTES : Buffer.from(opts.sentinel);
    this.known = opts.known;
    this.built = new CompactWalkBuilder(this.identity ? 5 : 3);
    this.listed.add(this.prefix);
  }

  feed(chunk: Buffer): void {
    if (this.malformed) return;
    let start = 0;
    if (this.pending.length > 0) {
      // The record cut by the last chunk: only it is joined, not the whole chunk.
      const end = chunk.indexOf(0);
      if (end === -1) {
        this.pending = Buffer.concat([this.pending, chunk]);
        return;
      }
      const joined = Buffer.concat([this.pending, chunk.subarray(0, end)]);
      this.pending = NO_BYTES;
      this.record(joined, 0, joined.length);
      start = end + 1;
    }
    for (let end = chunk.indexOf(0, start); end !== -1 && !this.malformed; end = chunk.indexOf(0, start)) {
      this.record(chunk, start, end);
      start = end + 1;
    }
    if (start < chunk.length) this.pending = chunk.subarray(start);
  }

  /**
   * The listing, or undefined when find did not run to its end: with a
   * sentinel, when it never came; without, when `succeeded` is false.
   */
  finish(succeeded = true): CompactWalk | undefined {
    const complete = this.sentinel.length === 0 ? succeeded : this.complete;
    if (!complete || this.malformed || this.pending.length > 0) return undefined;
    const walk = this.built.finish(this.problems);
    if (this.known !== undefined) {
      walk.held = this.held;
      walk.order = this.order;
    }
    return walk;
  }

  private record(buf: Buffer, start: number, end: number): void {
    if (this.sentinel.length > 0 && this.isSentinel(buf, start, end)) return;
    const f = this.fields;
    if (!f.read(buf, start, end, this.identity, this.wholeSeconds)) {
      this.malformed = true;
      return;
    }
    const type = buf[start]!;
    const isDir = type === TYPE_DIR;
    const at = f.at;
    const name = nameStart(buf, at, end);
    // Only inside listed folders (as a walk, which never opens an excluded or temporary folder).
    if (this.unlisted > 0 && name > at && !this.folderListed(buf, at, name - 1)) return;
    // A path the base has is its own string, made only if needed (the base keys paths by their bytes).
    const known = this.known;
    const row = known !== undefined && this.prefix === '' ? known.rowOfBytes(buf, at, end, this.lastRow + 1) : -1;
    if (row !== -1) this.lastRow = row;
    let path = row === -1 ? this.withPrefix(decodePath(buf, at, end)) : undefined;
    if (isTemporaryName(buf, name, end)) {
      this.problems.temporaries.push((path ??= known!.pathOf(row)));
      if (isDir) this.unlisted++;
      return;
    }
    const filter = this.filter;
    if (filter !== undefined) {
      const byName = name > at ? filter.belowTop : undefined;
      const excluded =
        byName !== undefined
          ? !byName.empty && byName.excludes(decodePath(buf, name, end), isDir)
          : isDir
            ? filter.excludeDir((path ??= known!.pathOf(row)))
            : filter.excludeFile((path ??= known!.pathOf(row)));
      if (excluded) {
        if (isDir) this.unlisted++;
        return;
      }
    }
    if (isDir) {
      this.listed.add((path ??= known!.pathOf(row)));
      if (!this.isHeld(row, path, true)) this.list(row, path, true);
    } else if (type !== TYPE_FILE) (type === TYPE_LINK ? this.problems.links : this.problems.special).push((path ??= known!.pathOf(row)));
    else if (filter?.maxFileSize !== undefined && f.size > filter.maxFileSize) this.problems.tooLarge.push((path ??= known!.pathOf(row)));
    else if (!this.isHeld(row, path, false)) this.list(row, (path ??= known!.pathOf(row)), false);
  }

  /** The entry of the record just read goes into the listing (`row`: its base row, or -1). */
  private list(row: number, path: string, isDir: boolean): void {
    const f = this.fields;
    if (isDir) this.built.dir(path);
    else this.built.file(path, f.size, f.mtimeMs, f.ctimeMs, f.ino);
    if (this.known !== undefined) this.order.push(row !== -1 ? row : -this.built.paths.length);
  }

  /** The sentinel (true), the separator before it (true), or a record (false); nothing may follow the sentinel. */
  private isSentinel(buf: Buffer, start: number, end: number): boolean {
    if (end === start) return true;
    if (this.complete) {
      this.malformed = true;
      return true;
    }
    if (sameBytes(buf, start, end, this.sentinel)) {
      this.complete = true;
      return true;
    }
    return false;
  }

  private withPrefix(rel: string): string {
    return this.prefix === '' ? rel : `${this.prefix}/${rel}`;
  }

  /** Is the folder buf[start..end) (below the listed one) listed? */
  private folderListed(buf: Buffer, start: number, end: number): boolean {
    if (!sameBytes(buf, start, end, this.lastFolder)) {
      this.lastFolder = Buffer.from(buf.subarray(start, end));
      this.lastFolderListed = this.listed.has(this.withPrefix(decodePath(buf, start, end)));
    }
    return this.lastFolderListed;
  }

  /**
   * Does the entry of the record just read still hold its base row (then
   * noted, not listed)? `found`: the row its bytes found, or -1 (then only a
   * listing under a prefix looks again, by `path`).
   */
  private isHeld(found: number, path: string | undefined, isDir: boolean): boolean {
    const known = this.known;
    if (known === undefined) return false;
    const row = found !== -1 || this.prefix === '' ? found : known.rowOf(path!);
    if (row === -1) return false;
    const f = this.fields;
    if (!known.holds(row, isDir, f.size, f.mtimeMs, this.identity ? f.ctimeMs : undefined, this.identity ? f.ino : undefined)) return false;
    this.held.push(row);
    this.order.push(row);
    return true;
  }
}
