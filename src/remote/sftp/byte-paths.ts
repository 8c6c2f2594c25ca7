/**
 * Paths that are not UTF-8, sent over SFTP as their bytes.
 *
 * SFTP paths are byte strings, but ssh2 writes every path it sends with
 * `buf.utf8Write(path)` and refuses anything but a string there. So a request
 * whose path is not UTF-8 is made with the path's bytes (wire()) while
 * utf8Write also copies a Buffer as it is (withBytePaths). ssh2 builds and
 * sends a request's packet synchronously inside the call that makes it, so
 * the wider utf8Write is in place only during that call, and only where a
 * path needs it: nothing else in the process ever sees it.
 *
 * What ssh2 cannot do this way: transfers that open their remote file from
 * a callback (fastPut), which the callers avoid for such paths, and
 * readdir(path), which takes a Buffer for a handle: readFolder opens such a
 * folder itself. (Names read back keep their bytes: see byte-names.ts.)
 */
import type { FileEntryWithStats, SFTPWrapper } from 'ssh2';
import { fsPath, isPlainPath } from '../../util/path-bytes.js';

type Utf8Write = (this: Buffer, s: string | Buffer, offset?: number, length?: number) => number;
const proto = Buffer.prototype as unknown as { utf8Write: Utf8Write };
const original = proto.utf8Write;
const withBytes: Utf8Write = function (this: Buffer, s, offset = 0, length) {
  if (!Buffer.isBuffer(s)) return original.call(this, s, offset, length);
  return s.copy(this, offset, 0, Math.min(s.length, length ?? s.length));
};

/** The path as ssh2 takes it: the string when plain, else its bytes (typed as the string ssh2 declares; see withBytePaths). */
export function wire(abs: string): string {
  return fsPath(abs) as string;
}

/** Does this path need its bytes sent (see withBytePaths)? */
export function needsBytes(abs: string): boolean {
  return !isPlainPath(abs);
}

/** Run `fn` (which makes ssh2 requests) so that paths given as bytes (wire) are written as they are. */
export function withBytePaths<T>(fn: () => T): T {
  if (proto.utf8Write === withBytes) return fn();
  proto.utf8Write = withBytes;
  try {
    return fn();
  } finally {
    proto.utf8Write = original;
  }
}

const EOF = 1;

/**
 * The entries of the folder at `abs` (ssh2's readdir(path), which takes a
 * path as bytes for a handle: a folder whose path is not UTF-8 is opened here
 * and read to its end). Call it inside withBytePaths when needsBytes(abs).
 */
export function readFolder(sftp: SFTPWrapper, abs: string, cb: (err: Error | null | undefined, list?: FileEntryWithStats[]) => void): void {
  if (!needsBytes(abs)) {
    sftp.readdir(abs, cb);
    return;
  }
  sftp.opendir(wire(abs), (err, handle) => {
    if (err) return cb(err);
    const entries: FileEntryWithStats[] = [];
    const more = (): void =>
      sftp.readdir(handle, (err, list) => {
        const done = (err as (Error & { code?: number }) | undefined)?.code === EOF;
        if (err && !done) return sftp.close(handle, () => cb(err));
        if (done) return sftp.close(handle, (closeErr) => (closeErr ? cb(closeErr) : cb(undefined, entries)));
        entries.push(...(list as FileEntryWithStats[]).filter((e) => e.filename !== '.' && e.filename !== '..'));
        more();
      });
    more();
  });
}
