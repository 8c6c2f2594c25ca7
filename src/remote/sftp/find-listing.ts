/**
 * A remote listing taken by one `find` run on the server (over an SSH exec
 * channel) instead of a READDIR round trip per folder: on tens of thousands
 * of files it is several times faster, for the client and the server alike.
 *
 * Only used when it provably worked: GNU find's output ends with a sentinel
 * that the shell prints only after find succeeded. Anything else (no shell,
 * a forced SFTP-only account, a find without -printf, an unreadable folder,
 * a missing root) yields no sentinel, and the caller lists over SFTP, which
 * also reports unreadable folders one by one.
 */
import { CompactWalkBuilder, type CompactWalk, type WalkProblems } from '../../scan/walk.js';
import { isTempName, type ListFilter } from '../types.js';

/** Printed (NUL-separated, like the records) after a successful find. */
export const FIND_SENTINEL = 'arx-listing-complete';

/** A string as one shell word, whatever it holds (single quotes; a quote is closed, escaped and reopened). */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command: every entry below `absRoot` as `type size mtime path` records
 * ended by NUL (no name can hold one), then the sentinel. mtime has whole
 * seconds, as SFTP reports it.
 */
export function findCommand(absRoot: string): string {
  // -H: a remote folder that is a symbolic link is listed through it, as SFTP's READDIR does.
  return `LC_ALL=C find -H ${shellQuote(absRoot)} -mindepth 1 -printf '%y %s %T@ %P\\0' && printf '\\0${FIND_SENTINEL}\\0'`;
}

const SENTINEL_BYTES = Buffer.from(FIND_SENTINEL);
const SPACE = 0x20;
const DOT = 0x2e;
const ZERO = 0x30;

/** Digits from `at` on: [value, index after them], or undefined when there are none. */
function digitsAt(buf: Buffer, at: number, end: number): [number, number] | undefined {
  let value = 0;
  let i = at;
  for (; i < end && buf[i]! >= ZERO && buf[i]! <= ZERO + 9; i++) value = value * 10 + (buf[i]! - ZERO);
  return i === at ? undefined : [value, i];
}

/**
 * Builds the listing from find's output, fed in chunks as they arrive, in
 * compact form (see CompactWalk: no object per entry). find prints a folder
 * before what it holds, so whether a folder is listed (not excluded, not a
 * temporary) is known before its contents come.
 */
export class FindListingParser {
  private readonly built = new CompactWalkBuilder(3);
  private readonly problems: WalkProblems = { unreadable: [], special: [], temporaries: [], tooLarge: [] };
  /** Folders whose contents are listed. */
  private readonly listed = new Set<string>();
  private pending: Buffer = Buffer.alloc(0);
  private complete = false;
  private malformed = false;

  constructor(
    private readonly filter: ListFilter | undefined,
    /** Prefix of every path (the listed subfolder), '' for the root. */
    private readonly prefix: string,
  ) {
    this.listed.add(prefix);
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

  /** The listing, or undefined when find did not run to its end. */
  finish(): CompactWalk | undefined {
    if (!this.complete || this.malformed || this.pending.length > 0) return undefined;
    return this.built.finish(this.problems);
  }

  private record(buf: Buffer, start: number, end: number): void {
    if (end === start) return; // the separator before the sentinel
    if (this.complete) {
      this.malformed = true; // nothing may follow the sentinel
      return;
    }
    if (end - start === SENTINEL_BYTES.length && SENTINEL_BYTES.equals(buf.subarray(start, end))) {
      this.complete = true;
      return;
    }
    // `type size seconds[.fraction] path`
    const type = String.fromCharCode(buf[start]!);
    const size = buf[start + 1] === SPACE ? digitsAt(buf, start + 2, end) : undefined;
    const seconds = size !== undefined && buf[size[1]] === SPACE ? digitsAt(buf, size[1] + 1, end) : undefined;
    let at = seconds?.[1] ?? end;
    if (buf[at] === DOT) at = digitsAt(buf, at + 1, end)?.[1] ?? end;
    if (size === undefined || seconds === undefined || buf[at] !== SPACE || at + 1 >= end) {
      this.malformed = true;
      return;
    }
    const rel = buf.toString('utf8', at + 1, end);
    const path = this.prefix === '' ? rel : `${this.prefix}/${rel}`;
    const slash = path.lastIndexOf('/');
    // Only inside listed folders (as over SFTP, which never opens an excluded or temporary folder).
    if (!this.listed.has(slash === -1 ? '' : path.slice(0, slash))) return;
    const filter = this.filter;
    if (isTempName(path.slice(slash + 1))) this.problems.temporaries.push(path);
    else if (type === 'd') {
      if (filter?.excludeDir(path)) return;
      this.listed.add(path);
      this.built.dir(path);
    } else if (filter?.excludeFile(path)) return;
    else if (type !== 'f') this.problems.special.push(path);
    else if (filter?.maxFileSize !== undefined && size[0] > filter.maxFileSize) this.problems.tooLarge.push(path);
    else this.built.file(path, size[0], seconds[0] * 1000);
  }
}
