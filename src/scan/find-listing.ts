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
import { TEMP_PREFIX, type KnownBase, type ListFilter } from '../remote/types.js';
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

const TEMP_PREFIX_BYTES = Buffer.from(TEMP_PREFIX);

/** Is the last name of the path in buf[start..end) a temporary's? ('/' is one byte in UTF-8, never part of another character.) */
function nameIsTemporary(buf: Buffer, start: number, end: number): boolean {
  let name = end;
  while (name > start && buf[name - 1] !== SLASH) name--;
  if (end - name < TEMP_PREFIX_BYTES.length) return false;
  for (let i = 0; i < TEMP_PREFIX_BYTES.length; i++) if (buf[name + i] !== TEMP_PREFIX_BYTES[i]) return false;
  return true;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/**
 * Reads one record's fields left to right. Numbers come back as values and
 * the position moves on (no tuple per field: this runs for every entry).
 */
class Cursor {
  buf: Buffer = Buffer.alloc(0);
  at = 0;
  end = 0;
  ok = true;

  /** A run of digits (at least one). */
  digits(): number {
    const buf = this.buf;
    const from = this.at;
    let value = 0;
    let i = from;
    for (; i < this.end && buf[i]! >= ZERO && buf[i]! <= NINE; i++) value = value * 10 + (buf[i]! - ZERO);
    if (i === from) this.ok = false;
    this.at = i;
    return value;
  }

  /** A single space. */
  space(): void {
    if (this.buf[this.at] === SPACE) this.at++;
    else this.ok = false;
  }

  /**
   * `seconds[.fraction]` as milliseconds. The exact form is computed as Node
   * computes Stats.mtimeMs (seconds * 1e3 + nanoseconds / 1e6), so both
   * walks give bit-identical times.
   */
  time(wholeSeconds: boolean): number {
    const seconds = this.digits();
    const buf = this.buf;
    let nanos = 0;
    if (buf[this.at] === DOT) {
      const from = ++this.at;
      let i = from;
      for (; i < this.end && buf[i]! >= ZERO && buf[i]! <= NINE; i++) if (i - from < 9) nanos = nanos * 10 + (buf[i]! - ZERO);
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
 */
export class FindListingParser {
  private readonly built: CompactWalkBuilder;
  private readonly problems: WalkProblems = { unreadable: [], special: [], temporaries: [], tooLarge: [] };
  /** Folders whose contents are listed. */
  private readonly listed = new Set<string>();
  private readonly prefix: string;
  private readonly identity: boolean;
  private readonly wholeSeconds: boolean;
  private readonly sentinel: Buffer | undefined;
  private readonly known: KnownBase | undefined;
  private readonly held: number[] = [];
  /** How many folders were left out (excluded or temporary); while none was, no parent needs checking. */
  private unlisted = 0;
  private readonly cursor = new Cursor();
  private pending: Buffer = Buffer.alloc(0);
  private complete = false;
  private malformed = false;

  constructor(
    private readonly filter: ListFilter | undefined,
    opts: FindParserOptions = {},
  ) {
    this.prefix = opts.prefix ?? '';
    this.identity = opts.identity ?? false;
    this.wholeSeconds = opts.wholeSeconds ?? false;
    this.sentinel = opts.sentinel === undefined ? undefined : Buffer.from(opts.sentinel);
    this.known = opts.known;
    this.built = new CompactWalkBuilder(this.identity ? 5 : 3);
    this.listed.add(this.prefix);
  }

  feed(chunk: Buffer): void {
    if (this.malformed) return;
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let start = 0;
    for (let end = buf.indexOf(0, start); end !== -1 && !this.malformed; end = buf.indexOf(0, start)) {
      this.record(buf, start, end);
      start = end + 1;
    }
    this.pending = buf.subarray(start);
  }

  /**
   * The listing, or undefined when find did not run to its end: with a
   * sentinel, when it never came; without, when `succeeded` is false.
   */
  finish(succeeded = true): CompactWalk | undefined {
    const complete = this.sentinel === undefined ? succeeded : this.complete;
    if (!complete || this.malformed || this.pending.length > 0) return undefined;
    const walk = this.built.finish(this.problems);
    if (this.known !== undefined) walk.held = this.held;
    return walk;
  }

  private record(buf: Buffer, start: number, end: number): void {
    const sentinel = this.sentinel;
    if (sentinel !== undefined) {
      if (end === start) return; // the separator before the sentinel
      if (this.complete) {
        this.malformed = true; // nothing may follow the sentinel
        return;
      }
      if (end - start === sentinel.length && sentinel.equals(buf.subarray(start, end))) {
        this.complete = true;
        return;
      }
    }
    // `type size mtime [ctime inode] path`
    const c = this.cursor;
    c.buf = buf;
    c.at = start + 1;
    c.end = end;
    c.ok = true;
    const type = buf[start]!;
    c.space();
    const size = c.digits();
    c.space();
    const mtimeMs = c.time(this.wholeSeconds);
    let ctimeMs = 0;
    let ino = 0;
    if (this.identity) {
      c.space();
      ctimeMs = c.time(false);
      c.space();
      ino = c.digits();
    }
    c.space();
    if (!c.ok || c.at >= end) {
      this.malformed = true;
      return;
    }
    // A path the base has is its own string: no decoding and no new string (most entries of a
    // sync that changes little). (A base path is well-formed UTF-8, so never garbled.)
    const known = this.known;
    const row = known !== undefined && this.prefix === '' ? known.rowOfBytes(buf, c.at, end) : -1;
    let path: string;
    let garbled = false;
    if (row !== -1) path = known!.pathOf(row);
    else {
      const rel = buf.toString('utf8', c.at, end);
      // A name that is not UTF-8 cannot be named again from a string: set aside, like a special file.
      garbled = rel.includes('\uFFFD') && !buf.subarray(c.at, end).equals(Buffer.from(rel));
      path = this.prefix === '' ? rel : `${this.prefix}/${rel}`;
    }
    // Only inside listed folders (as a walk, which never opens an excluded or temporary folder).
    // find prints a folder before its contents, so while none was left out, every parent is listed.
    if (this.unlisted > 0 && !this.listed.has(parentOf(path))) return;
    const filter = this.filter;
    if (garbled) {
      this.problems.special.push(path);
      if (type === TYPE_DIR) this.unlisted++;
    } else if (nameIsTemporary(buf, c.at, end)) {
      this.problems.temporaries.push(path);
      if (type === TYPE_DIR) this.unlisted++;
    } else if (type === TYPE_DIR) {
      if (filter?.excludeDir(path)) {
        this.unlisted++;
        return;
      }
      this.listed.add(path);
      if (!this.isHeld(path, row, true, 0, 0, undefined, undefined)) this.built.dir(path);
    } else if (filter?.excludeFile(path)) return;
    else if (type !== TYPE_FILE) this.problems.special.push(path);
    else if (filter?.maxFileSize !== undefined && size > filter.maxFileSize) this.problems.tooLarge.push(path);
    else if (!this.isHeld(path, row, false, size, mtimeMs, this.identity ? ctimeMs : undefined, this.identity ? ino : undefined)) this.built.file(path, size, mtimeMs, ctimeMs, ino);
  }

  /**
   * Does the entry still hold its base row (then noted, not listed)? `found`:
   * the row its bytes found, or -1 (then only a listing under a prefix looks again).
   */
  private isHeld(path: string, found: number, isDir: boolean, size: number, mtimeMs: number, ctimeMs: number | undefined, ino: number | undefined): boolean {
    const known = this.known;
    if (known === undefined) return false;
    const row = found !== -1 || this.prefix === '' ? found : known.rowOf(path);
    if (row === -1 || !known.holds(row, isDir, size, mtimeMs, ctimeMs, ino)) return false;
    this.held.push(row);
    return true;
  }
}

