/**
 * Names that are not UTF-8, read over SFTP as their bytes.
 *
 * ssh2 decodes every name a server sends (READDIR and REALPATH answers, via
 * `buf.utf8Slice`) as UTF-8, so bytes that are not valid UTF-8 would come
 * back as U+FFFD and the name could never be named again. While one of our
 * channels parses what the server sent (its push(), which parses and answers
 * synchronously), utf8Slice decodes as path-bytes.ts does instead: valid
 * UTF-8 exactly as before (isUtf8 is the fast path), invalid bytes as their
 * surrogate escapes. So the only text that differs is text that would
 * otherwise have lost its bytes, and the wider utf8Slice is in place only
 * during that call: callbacks ssh2 runs from it see it too, and ours only
 * settle promises.
 */
import { isUtf8 } from 'node:buffer';
import type { SFTPWrapper } from 'ssh2';
import { decodePath } from '../../util/path-bytes.js';

type Utf8Slice = (this: Buffer, start?: number, end?: number) => string;
const proto = Buffer.prototype as unknown as { utf8Slice: Utf8Slice };
const original = proto.utf8Slice;
const escaping: Utf8Slice = function (this: Buffer, start = 0, end = this.length) {
  const text = original.call(this, start, end);
  if (!text.includes('\uFFFD') || isUtf8(this.subarray(start, end))) return text;
  // decodePath decodes its valid runs with toString, which must not come back here.
  proto.utf8Slice = original;
  try {
    return decodePath(this, start, end);
  } finally {
    proto.utf8Slice = escaping;
  }
};

/** Run `fn` with ssh2's string decoding keeping the bytes of text that is not UTF-8 (see above). */
export function withEscapedNames<T>(fn: () => T): T {
  if (proto.utf8Slice === escaping) return fn();
  proto.utf8Slice = escaping;
  try {
    return fn();
  } finally {
    proto.utf8Slice = original;
  }
}

/** Make this channel decode the names it receives byte-exactly (its own push only; other channels are untouched). */
export function readNamesAsBytes(sftp: SFTPWrapper): SFTPWrapper {
  const channel = sftp as unknown as { push(data: Buffer | null): unknown };
  const push = channel.push.bind(sftp);
  channel.push = (data) => withEscapedNames(() => push(data));
  return sftp;
}
