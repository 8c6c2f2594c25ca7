/**
 * Read a file arx takes settings from (arxfile.json, the global file, `.env`,
 * `.arxignore`, a schema, known_hosts). Such a file must be a regular file of
 * bounded size: a FIFO, a device or a folder in its place is refused at once,
 * never read (a FIFO would block, `/dev/zero` would fill the memory).
 *
 * The type and size are checked with fstat on the opened descriptor (so the
 * file checked is the file read), opened with O_NONBLOCK (opening a FIFO never
 * waits for a writer), and at most `limit + 1` bytes are ever read.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { ConfigError, errnoCode } from '../errors.js';

/** The size limit of a configuration file (arxfile.json, the global file, `.env` files). */
export const CONFIG_FILE_LIMIT = 1024 * 1024;

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0);

export function describeSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MiB`;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

/** What a non-regular file is, for messages. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface BoundedReadOptions {
  /** Names the file in errors (default: its path). */
  label?: string;
  /** Most bytes accepted (default CONFIG_FILE_LIMIT). */
  limit?: number;
  /** Error code prefix (default CONFIG): CONFIG_NOT_A_FILE, CONFIG_TOO_LARGE, CONFIG_UNREADABLE. */
  code?: string;
}

/**
 * The bytes of a regular file of at most `limit` bytes; undefined when it does
 * not exist. Anything else is a ConfigError naming the file (exit 2).
 */
export function readBoundedFile(path: string, opts: BoundedReadOptions = {}): Buffer | undefined {
  const label = opts.label ?? path;
  const limit = opts.limit ?? CONFIG_FILE_LIMIT;
  const code = opts.code ?? 'CONFIG';
  if (path.includes('\0')) throw new ConfigError(`${label}: the file name holds a NUL character`, `${code}_UNREADABLE`);
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    const errno = errnoCode(err);
    if (errno === 'ENOENT') return undefined;
    if (errno === 'ENOTDIR') throw new ConfigError(`${label}: a folder on its path is a file`, `${code}_UNREADABLE`);
    throw new ConfigError(`${label}: cannot be read (${errno ?? String(err)})`, `${code}_UNREADABLE`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ConfigError(`${label}: is ${kindOf(st)}, expected a file`, `${code}_NOT_A_FILE`);
    const tooLarge = (): never => {
      throw new ConfigError(`${label}: is larger than ${describeSize(limit)}, the most arx reads from a file of settings`, `${code}_TOO_LARGE`);
    };
    if (st.size > limit) tooLarge();
    // Read until the end, never past limit + 1 bytes (a file that grows meanwhile is still bounded).
    let buf = Buffer.allocUnsafe(Math.min(limit + 1, st.size + 4096));
    let got = 0;
    for (;;) {
      if (got === buf.length) {
        if (got > limit) tooLarge();
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, got);
        buf = bigger;
      }
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) return buf.subarray(0, got);
      got += n;
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${label}: cannot be read (${errnoCode(err) ?? String(err)})`, `${code}_UNREADABLE`);
  } finally {
    closeSync(fd);
  }
}

/** readBoundedFile as UTF-8 text. */
export function readBoundedText(path: string, opts: BoundedReadOptions = {}): string | undefined {
  return readBoundedFile(path, opts)?.toString('utf8');
}
