/**
 * Whole-file reads and writes through plain file descriptors, in two
 * flavours with one shape: synchronous (local disks: fastest for small
 * files) and callback-based on the thread pool (network filesystems, where
 * calls must overlap). Node's promise-based FileHandle costs several times
 * more per small file than either; projects hold tens of thousands of them.
 */
import fs from 'node:fs';
import { promisify } from 'node:util';

const write = (fd: number, buffer: Buffer, offset: number, length: number): Promise<number> =>
  new Promise((resolve, reject) => fs.write(fd, buffer, offset, length, null, (err, n) => (err ? reject(err) : resolve(n))));
const futimes = promisify(fs.futimes);
const fstat = promisify(fs.fstat);

export const lstat = promisify(fs.lstat);

/** Open for reading; a symbolic link as the last name fails (ELOOP) instead of being followed. */
export const READ_NOFOLLOW = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW;
export const openFd = promisify(fs.open);
export const closeFd = promisify(fs.close);

/** Read the rest of a file from `offset` of `buf` on; the number of bytes read (0 at the end). */
const readFdAt = (fd: number, buf: Buffer, offset: number): Promise<number> =>
  new Promise((resolve, reject) => fs.read(fd, buf, offset, buf.length - offset, null, (err, n) => (err ? reject(err) : resolve(n))));

/**
 * A whole file, synchronously; a view into `into` when it fits there. Reusing
 * one buffer matters: a new buffer per small file is freed only by a full
 * garbage collection, and a hundred thousand of them add up.
 */
export function readWholeSync(path: fs.PathLike, into?: Buffer, flags: number | string = 'r'): Buffer {
  const fd = fs.openSync(path, flags);
  try {
    if (into === undefined || fs.fstatSync(fd).size > into.length) return fs.readFileSync(fd);
    let n = 0;
    for (let got = 1; got > 0 && n < into.length; n += got) got = fs.readSync(fd, into, n, into.length - n, null);
    return into.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** Read the next chunk into `buf`; 0 at the end. */
export const readFd = (fd: number, buf: Buffer): Promise<number> =>
  new Promise((resolve, reject) => fs.read(fd, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n))));
const rename = promisify(fs.rename);
const readWhole = promisify(fs.readFile) as (fd: number) => Promise<Buffer>;

/** Create `path` (it must not exist), write all of `data`, set its mtime; returns its stat. Closes the file in every case. */
async function writeNewFile(path: fs.PathLike, data: Buffer, mtimeMs: number): Promise<fs.Stats> {
  const fd = await openFd(path, 'wx', 0o666);
  try {
    for (let off = 0; off < data.length; ) off += await write(fd, data, off, data.length - off);
    const when = new Date(mtimeMs);
    await futimes(fd, when, when);
    return await fstat(fd);
  } finally {
    await closeFd(fd);
  }
}

export interface WholeFileIo {
  /** The whole file (never through a link as its last name); a view into `into` when it fits there (no new buffer per file). */
  readWhole(path: fs.PathLike, into?: Buffer): Promise<Buffer>;
  writeNewFile(path: fs.PathLike, data: Buffer, mtimeMs: number): Promise<fs.Stats>;
  rename(from: fs.PathLike, to: fs.PathLike): Promise<void>;
  lstat(path: fs.PathLike): Promise<fs.Stats>;
}

export const asyncIo: WholeFileIo = {
  async readWhole(path, into) {
    const fd = await openFd(path, READ_NOFOLLOW);
    try {
      if (into === undefined) return await readWhole(fd);
      const { size } = await fstat(fd);
      if (size > into.length) return await readWhole(fd);
      let n = 0;
      for (let got = 1; got > 0 && n < into.length; n += got) got = await readFdAt(fd, into, n);
      return into.subarray(0, n);
    } finally {
      await closeFd(fd);
    }
  },
  writeNewFile,
  rename,
  lstat,
};

export const syncIo: WholeFileIo = {
  readWhole: async (path, into) => readWholeSync(path, into, READ_NOFOLLOW),
  async writeNewFile(path, data, mtimeMs) {
    const fd = fs.openSync(path, 'wx', 0o666);
    try {
      for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off);
      const when = new Date(mtimeMs);
      fs.futimesSync(fd, when, when);
      return fs.fstatSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  rename: async (from, to) => fs.renameSync(from, to),
  lstat: async (path) => fs.lstatSync(path),
};
