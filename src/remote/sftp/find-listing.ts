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
import { FindListingParser, findFormat } from '../../scan/find-listing.js';
import type { KnownBase, ListFilter } from '../types.js';

/** Printed (NUL-separated, like the records) after a successful find. */
export const FIND_SENTINEL = 'arx-listing-complete';

/** A string as one shell word, whatever it holds (single quotes; a quote is closed, escaped and reopened). */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command: every entry below `absRoot` as `type size mtime path` records
 * ended by NUL, then the sentinel.
 */
export function findCommand(absRoot: string): string {
  // -H: a remote folder that is a symbolic link is listed through it, as SFTP's READDIR does.
  return `LC_ALL=C find -H ${shellQuote(absRoot)} -mindepth 1 -printf '${findFormat(false)}' && printf '\\0${FIND_SENTINEL}\\0'`;
}

/** Reads findCommand's output: whole-second mtimes, as SFTP carries them. */
export function remoteFindParser(filter: ListFilter | undefined, prefix: string, known?: KnownBase): FindListingParser {
  return new FindListingParser(filter, { prefix, wholeSeconds: true, sentinel: FIND_SENTINEL, known });
}
