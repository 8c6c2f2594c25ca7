/**
 * Paths as bytes. A name on disk (or on a server) is a string of bytes, not
 * always valid UTF-8; inside arx every path is a JS string. This module is the
 * one place that converts between the two:
 *
 * - Bytes that are valid UTF-8 decode as usual, so every valid name keeps its
 *   plain string and its fast paths.
 * - Every byte that is not part of a valid UTF-8 sequence becomes a lone low
 *   surrogate U+DC80..U+DCFF (byte 0x80..0xFF; bytes below 0x80 are always
 *   valid), as Python's "surrogateescape" does. Decoding valid UTF-8 never
 *   yields a lone surrogate, so the mapping is lossless and unambiguous, and
 *   such a string is exactly one that is not well-formed.
 * - Each file system or SFTP call turns a path back into its bytes
 *   (fsPath / pathBytes); output shows it escaped (showPath).
 */

const ESCAPE_BASE = 0xdc00;
const ESCAPED = /[\uDC80-\uDCFF]/gu;
const REPLACEMENT = '\uFFFD';

/** Is this string free of escaped bytes (then it is its own UTF-8)? */
export function isPlainPath(path: string): boolean {
  return (path as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** The path of the bytes buf[start..end): their UTF-8 text, each byte that is not valid UTF-8 escaped. */
export function decodePath(buf: Buffer, start = 0, end = buf.length): string {
  const text = buf.toString('utf8', start, end);
  // A U+FFFD is either in the name itself (then the bytes re-encode the same) or stands for invalid bytes.
  if (!text.includes(REPLACEMENT) || Buffer.byteLength(text) === end - start && buf.subarray(start, end).equals(Buffer.from(text))) return text;
  return decodeEscaping(buf, start, end);
}

/** Length of the valid UTF-8 sequence at buf[i] (< end), or 0 (Unicode Table 3-7: no overlong forms, no surrogates, at most U+10FFFF). */
function sequenceLength(buf: Buffer, i: number, end: number): number {
  const b = buf[i]!;
  if (b < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < end && buf[i + k]! >= lo && buf[i + k]! <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    const lo = b === 0xe0 ? 0xa0 : 0x80;
    const hi = b === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const lo = b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

function decodeEscaping(buf: Buffer, start: number, end: number): string {
  let out = '';
  let run = start;
  for (let i = start; i < end; ) {
    const n = sequenceLength(buf, i, end);
    if (n > 0) {
      i += n;
      continue;
    }
    if (run < i) out += buf.toString('utf8', run, i);
    out += String.fromCharCode(ESCAPE_BASE + buf[i]!);
    run = ++i;
  }
  return run < end ? out + buf.toString('utf8', run, end) : out;
}

/** The bytes of a path (the inverse of decodePath). */
export function pathBytes(path: string): Buffer {
  if (isPlainPath(path)) return Buffer.from(path, 'utf8');
  const parts: Buffer[] = [];
  let run = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0xdc80 || c > 0xdcff) continue;
    // (A low surrogate after a high one is half of a valid pair, never an escape; isPlainPath rules pairs in.)
    if (i > 0 && path.charCodeAt(i - 1) >= 0xd800 && path.charCodeAt(i - 1) <= 0xdbff) continue;
    parts.push(Buffer.from(path.slice(run, i), 'utf8'), Buffer.of(c - ESCAPE_BASE));
    run = i + 1;
  }
  parts.push(Buffer.from(path.slice(run), 'utf8'));
  return Buffer.concat(parts);
}

/** What to hand to node:fs (or ssh2) for this path: the string itself when plain, else its bytes. */
export function fsPath(path: string): string | Buffer {
  return isPlainPath(path) ? path : pathBytes(path);
}

/** The names in a folder as paths (for readdir with `encoding: 'buffer'`). */
export function decodeNames(names: readonly Buffer[]): string[] {
  return names.map((n) => decodePath(n));
}

/**
 * A path as shown in output and JSON, always valid UTF-8 and unambiguous:
 * each escaped byte as `\xNN` (lowercase hex), each backslash doubled.
 * A plain path without a backslash is shown as it is.
 */
export function showPath(path: string): string {
  if (isPlainPath(path) && !path.includes('\\')) return path;
  return path.replace(/\\/g, '\\\\').replace(ESCAPED, (c) => `\\x${(c.charCodeAt(0) - ESCAPE_BASE).toString(16)}`);
}

/**
 * The path a shown form stands for (the inverse of showPath): `\xNN` is that
 * byte, `\\` a backslash; any other backslash stays as it is.
 */
export function parseShownPath(shown: string): string {
  if (!shown.includes('\\')) return shown;
  const bytes: Buffer[] = [];
  let run = 0;
  for (let i = 0; i < shown.length; i++) {
    if (shown[i] !== '\\') continue;
    const hex = /^x[0-9a-fA-F]{2}/.exec(shown.slice(i + 1, i + 4));
    if (shown[i + 1] !== '\\' && hex === null) continue;
    bytes.push(Buffer.from(shown.slice(run, i), 'utf8'));
    if (hex === null) {
      bytes.push(Buffer.from('\\'));
      run = i + 2;
    } else {
      bytes.push(Buffer.of(parseInt(hex[0].slice(1), 16)));
      run = i + 4;
    }
    i = run - 1;
  }
  bytes.push(Buffer.from(shown.slice(run), 'utf8'));
  return decodePath(Buffer.concat(bytes));
}

/** Free text (a message naming paths) as valid UTF-8: each escaped byte as `\xNN`. */
export function showText(text: string): string {
  return isPlainPath(text) ? text : text.replace(ESCAPED, (c) => `\\x${(c.charCodeAt(0) - ESCAPE_BASE).toString(16)}`);
}
